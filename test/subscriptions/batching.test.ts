import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { batchesOf, batchKey, originOf, type BatchItem } from '../../src/subscriptions/batching.js';

/** Which delivery job sends what (pure): one job per endpoint origin, at most `max` subscriptions each. */
describe('delivery batches', () => {
  const item = (subscription: string, endpoint: string, number = 1): BatchItem & { endpoint: string } => ({ subscription, number, round: 0, endpoint });

  test('the origin of an endpoint: scheme, host and port; an unparsable one stands alone', () => {
    assert.equal(originOf('https://clinic.example/hook/a?x=1'), 'https://clinic.example');
    assert.equal(originOf('https://clinic.example:8443/hook'), 'https://clinic.example:8443');
    assert.equal(originOf('http://clinic.example/hook'), 'http://clinic.example');
    assert.equal(originOf('not a url'), 'not a url');
  });

  test('subscriptions of one server share a job whatever their paths; another server gets its own', () => {
    const batches = batchesOf([
      item('s3', 'https://a.example/hook/3'), item('s1', 'https://a.example/hook/1'), item('s2', 'https://b.example/hook'), item('s4', 'https://a.example:8443/hook'),
    ], (i) => i.endpoint, 50);
    assert.deepEqual(batches.map((b) => b.map((i) => i.subscription)), [['s1', 's3'], ['s2'], ['s4']]);
  });

  test('a job carries at most max subscriptions, in id order', () => {
    const items = Array.from({ length: 7 }, (_, k) => item(`s${k}`, 'https://a.example/hook'));
    assert.deepEqual(batchesOf(items, (i) => i.endpoint, 3).map((b) => b.map((i) => i.subscription)), [['s0', 's1', 's2'], ['s3', 's4', 's5'], ['s6']]);
    assert.deepEqual(batchesOf(items, (i) => i.endpoint, 0).length, 7, 'at least one per job');
    assert.deepEqual(batchesOf([], (i: BatchItem & { endpoint: string }) => i.endpoint, 3), []);
  });

  test("a batch job's key is its first subscription's delivery, apart from the single jobs' keys", () => {
    assert.equal(batchKey([{ subscription: 's1', number: 4, round: 2 }, { subscription: 's2', number: 1, round: 0 }]), 'batch:s1/2/4');
    assert.throws(() => batchKey([]));
  });
});
