import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { AuditRecord } from '../../src/audit/record.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { AuditWriter } from '../../src/audit/writer.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * Several Carnet processes (CARNET_WORKERS, replicas) append to one hash chain. Two writers on one database
 * stand for two processes: each keeps its own idea of the chain's head, so they collide; every record must
 * still land exactly once, in one unbroken chain.
 */
describe('audit writers of several processes share one chain', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(() => t.close());

  const record = (i: number): AuditRecord => ({
    uid: randomUUID(), recorded: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), action: 'R', agent: `client:writer-${i % 2}`,
    patients: [`p${i % 7}`], outcome: '0', breakGlass: false, content: JSON.stringify({ resourceType: 'AuditEvent', n: i }),
  });

  test('interleaved appends from two writers: every record once, the chain intact', async () => {
    const log = pino({ level: 'silent' });
    const writers = [new AuditWriter(t.carnet.db, log), new AuditWriter(t.carnet.db, log)];
    const before = await verifyAuditChain(t.carnet.db);
    const records = Array.from({ length: 240 }, (_, i) => record(i));
    // Waves of concurrent records, alternating writers, so each sees the other move the head.
    for (let wave = 0; wave < 12; wave++) {
      await Promise.all(records.slice(wave * 20, wave * 20 + 20).map((r, i) => (writers[(wave + i) % 2] as AuditWriter).record(r)));
    }
    for (const w of writers) await w.close();
    const after = await verifyAuditChain(t.carnet.db);
    assert.equal(after.ok, true, after.why);
    assert.equal(after.unsealed, 0);
    assert.equal(after.records - before.records, records.length);
    const { rows } = await t.carnet.db.query<{ n: number }>('SELECT count(DISTINCT uid)::int AS n FROM audit_event WHERE uid = ANY($1::text[])', [records.map((r) => r.uid)]);
    assert.equal(Number(rows[0]?.n), records.length, 'each record exactly once');
  });
});
