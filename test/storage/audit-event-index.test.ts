import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { migrate } from '../../src/storage/migrate.js';
import { searchAuditEvents } from '../../src/storage/audit-store.js';
import { openTestDatabase } from '../support/harness.js';

/**
 * Migration 26: ITI-81's containment conditions (`entity=`, `agent=`, codings: `content::jsonb @> …`) can
 * use a GIN index of the content instead of reading the whole trail. The plan is checked with sequential
 * and plain index scans disabled (what a large trail makes the planner choose by itself); the results are
 * those of the search, unchanged.
 */
const opened = openTestDatabase();
after(async () => {
  const { db, drop } = await opened;
  await db.close();
  await drop();
});

test('entity= and agent= searches of the trail can use the content index, with the same answers', async () => {
  const { db } = await opened;
  await migrate(db);
  const event = (i: number) => ({ resourceType: 'AuditEvent', id: `e${i}`, recorded: '2026-12-03T10:00:00Z', action: 'R', outcome: '0',
    type: { code: 'rest' }, agent: [{ requestor: true, who: { reference: `Practitioner/pr${i % 7}` } }],
    entity: [{ what: { reference: `Patient/p${i % 50}` } }, { what: { reference: `Observation/o${i}` } }] });
  for (let i = 0; i < 300; i += 1) {
    const e = event(i);
    await db.query(`INSERT INTO audit_event (uid, recorded, action, agent, patients, outcome, break_glass, content) VALUES ($1, $2, 'R', 'user:x', ARRAY[$3]::text[], '0', false, $4)`,
      [e.id, e.recorded, `p${i % 50}`, JSON.stringify(e)]);
  }
  const { rows: indexes } = await db.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'audit_event' AND indexname = 'audit_event_content_idx'`);
  assert.equal(indexes.length, 1);
  await db.query('SET enable_seqscan = off');
  await db.query('SET enable_indexscan = off');
  try {
    const { rows } = await db.query<Record<string, string>>(`EXPLAIN SELECT id FROM audit_event WHERE content::jsonb @> $1::jsonb ORDER BY id DESC LIMIT 50`, [JSON.stringify({ entity: [{ what: { reference: 'Observation/o42' } }] })]);
    const plan = rows.map((r) => Object.values(r).join(' ')).join('\n');
    assert.match(plan, /audit_event_content_idx/, plan);
  } finally {
    await db.query('RESET enable_seqscan');
    await db.query('RESET enable_indexscan');
  }
  const criteria = { patients: [], outcomes: [], agentNames: [], addresses: [], limit: 500 };
  const byEntity = await searchAuditEvents(db, { ...criteria, contains: [[JSON.stringify({ entity: [{ what: { reference: 'Observation/o42' } }] })]] });
  assert.deepEqual(byEntity.map((r) => r.uid), ['e42']);
  const byAgent = await searchAuditEvents(db, { ...criteria, contains: [[JSON.stringify({ agent: [{ who: { reference: 'Practitioner/pr3' } }] })]] });
  assert.equal(byAgent.length, Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 7 === 3).length);
});
