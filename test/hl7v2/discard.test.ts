import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * Discarding a dead letter (migration 15): a reason is required; it leaves the list, its row stays with
 * who, when and why; a second discard is 409 and a replay 404; the same message sent again is processed
 * again (a dead letter once more).
 */
describe('discarding an HL7 v2 dead letter', () => {
  let t: TestCarnet;
  const message = 'MSH|^~\\&|ADT|CHUM|CARNET|QC|20240305||ADT^A09^ADT_A09|DISC-1|P|2.5.1\rPID|1||1^^^CHUM^MR\r';
  const send = async () => t.carnet.server.inject({ method: 'POST', url: '/hl7v2', headers: { 'content-type': 'x-application/hl7-v2+er7', authorization: `Bearer ${await t.systemToken()}` }, payload: message });
  const discard = async (id: string, body: unknown) => t.carnet.server.inject({
    method: 'POST', url: `/hl7v2/dead-letters/${id}/$discard`, headers: { 'content-type': 'application/json', authorization: `Bearer ${await t.systemToken()}` }, payload: JSON.stringify(body),
  });
  before(async () => {
    t = await startTestCarnet();
  });
  after(async () => {
    await t?.close();
  });

  test('a reason, then it leaves the list; twice is 409; a replay 404; sent again it is a dead letter again', async () => {
    assert.equal((await send()).statusCode, 400);
    const listed = (await t.request('GET', '/hl7v2/dead-letters')).body as { items: { id: string; controlId: string }[] };
    const id = listed.items.find((i) => i.controlId === 'DISC-1')?.id as string;
    assert.ok(id);
    assert.equal((await discard(id, {})).statusCode, 400, 'no reason');
    assert.equal((await discard(id, { reason: 'ok' })).statusCode, 400, 'too short a reason');
    const done = await discard(id, { reason: 'test message from the sender' });
    assert.equal(done.statusCode, 200, done.body);
    const body = JSON.parse(done.body) as { status: string; discarded: { by: string; reason: string; at: string } };
    assert.equal(body.status, 'discarded');
    assert.equal(body.discarded.reason, 'test message from the sender');
    assert.match(body.discarded.by, /^client:/);
    const after = (await t.request('GET', '/hl7v2/dead-letters')).body as { items: { id: string }[] };
    assert.ok(!after.items.some((i) => i.id === id), 'it leaves the list');
    assert.equal((await t.request('GET', `/hl7v2/messages/${id}`)).status, 200, 'the row stays');
    assert.equal((await discard(id, { reason: 'a second administrator' })).statusCode, 409);
    assert.equal((await t.request('POST', `/hl7v2/dead-letters/${id}/$replay`)).status, 404);
    assert.equal((await discard('no-such-letter', { reason: 'not there at all' })).statusCode, 404);
    assert.equal((await send()).statusCode, 400);
    const again = (await t.request('GET', '/hl7v2/dead-letters')).body as { items: { id: string; attempts: number }[] };
    assert.equal(again.items.find((i) => i.id === id)?.attempts, 2, 'sent again, it is a dead letter again');
  });
});
