import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { AuditWriter } from '../../src/audit/writer.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { migrate } from '../../src/storage/migrate.js';
import { MIGRATIONS } from '../../src/storage/migrations/index.js';
import { openTestDatabase } from '../support/harness.js';

/**
 * Migration 25: AuditEvents other systems stored as ordinary resources before the trail answered ITI-81
 * are copied into the trail (patients from their entities and agents) and sealed into the chain.
 */
const opened = openTestDatabase();
after(async () => {
  const { db, drop } = await opened;
  await db.close();
  await drop();
});

test('stored AuditEvents join the trail and its hash chain', async () => {
  const { db } = await opened;
  await migrate(db, MIGRATIONS.filter((m) => m.version < 25));
  const stored = { resourceType: 'AuditEvent', id: 'old-1', recorded: '2025-01-02T03:04:05Z', action: 'R', outcome: '4',
    type: { code: '110110' }, source: { observer: { display: 'EHR' } }, agent: [{ requestor: true, who: { reference: 'Patient/p9' } }],
    entity: [{ what: { reference: 'Patient/p8' } }, { what: { reference: 'Observation/o1' } }] };
  await db.query(`INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, patient_id, content) VALUES ('AuditEvent', 'old-1', 1, now(), false, NULL, $1),
    ('AuditEvent', 'gone', 2, now(), true, NULL, NULL)`, [JSON.stringify(stored)]);
  await migrate(db);
  const { rows } = await db.query<{ uid: string; recorded: Date; action: string; patients: string[]; outcome: string; content: string }>('SELECT uid, recorded, action, patients, outcome, content FROM audit_event');
  assert.equal(rows.length, 1, 'the deleted one is not copied');
  assert.deepEqual([rows[0]?.uid, new Date(rows[0]?.recorded as Date).toISOString(), rows[0]?.action, rows[0]?.patients, rows[0]?.outcome],
    ['old-1', '2025-01-02T03:04:05.000Z', 'R', ['p8', 'p9'], '4']);
  assert.deepEqual(JSON.parse(rows[0]?.content as string), stored);
  const writer = new AuditWriter(db, pino({ level: 'silent' }));
  await writer.close();
  const report = await verifyAuditChain(db);
  assert.deepEqual([report.ok, report.records, report.unsealed], [true, 1, 0]);
});
