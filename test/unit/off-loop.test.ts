import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FhirError } from '../../src/fhir/outcomes.js';
import { validationIssues } from '../../src/fhir/validation.js';
import { bodyTextOf, keepBodyText, validateLargeBody, ValidationPool } from '../../src/fhir/validation/off-loop.js';

/** Issue #13: large bodies are validated by worker threads, with a bound on the work one request causes. */
const patient = (extensions: number, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  ...extra,
  extension: Array.from({ length: extensions }, (_, i) => ({ url: `http://example.org/x${i}`, valueString: `v${i}` })),
});

describe('validation off the event loop', () => {
  test('the worker finds the same issues as inline validation, for each resource of a body by path', async () => {
    const pool = new ValidationPool({ workers: 1, minBytes: 0, timeoutMs: 60_000, maxQueued: 4 });
    try {
      const invalid = { resourceType: 'Patient', birthDate: '2023-02-29', active: 'yes' };
      const body = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient(3) }, { resource: invalid }] };
      const [first, second] = await pool.validate(JSON.stringify(body), [['entry', 0, 'resource'], ['entry', 1, 'resource']]);
      assert.deepEqual(first, validationIssues(body.entry[0]?.resource as never));
      assert.deepEqual(second, validationIssues(invalid as never));
      assert.ok((second ?? []).length >= 2, 'both problems reported');
    } finally {
      await pool.close();
    }
  });

  test('warm starts every worker before any body and resolves when they are ready (carnet serve awaits it before listening)', async () => {
    const pool = new ValidationPool({ workers: 2, minBytes: 0, timeoutMs: 60_000, maxQueued: 4 });
    try {
      assert.equal(await pool.warm(), 2);
      assert.equal(await pool.warm(), 2, 'warming again starts no more');
      const [issues] = await pool.validate(JSON.stringify({ resourceType: 'Patient', active: 'yes' }), [[]]);
      assert.ok((issues ?? []).length > 0);
    } finally {
      await pool.close();
    }
    assert.equal(await new ValidationPool({ workers: 0, minBytes: 0, timeoutMs: 1000, maxQueued: 1 }).warm(), 0);
  });

  test('a validation longer than the bound is stopped and refused as too-costly; the next body gets a fresh worker', async () => {
    const pool = new ValidationPool({ workers: 1, minBytes: 0, timeoutMs: 300, maxQueued: 4 });
    // (the warm-up below may itself exceed 300 ms on a busy machine: then it is refused, which is fine)
    try {
      // The worker's start (loading the R4 definitions) is not counted: warm it first.
      await pool.validate(JSON.stringify({ resourceType: 'Patient' }), [[]]).catch(() => undefined);
      const text = JSON.stringify(patient(60_000));
      const started = Date.now();
      await assert.rejects(pool.validate(text, [[]]), (error: unknown) => {
        assert.ok(error instanceof FhirError);
        assert.equal(error.status, 400);
        assert.equal(error.outcome.issue?.[0]?.code, 'too-costly');
        return true;
      });
      assert.ok(Date.now() - started < 10_000, 'answered at the bound, not when validation would have ended');
      const [issues] = await pool.validate(JSON.stringify({ resourceType: 'Patient', active: true }), [[]]);
      assert.deepEqual(issues, []);
    } finally {
      await pool.close();
    }
  });

  test('beyond the bodies that may wait, the next is a 429 with Retry-After', async () => {
    const pool = new ValidationPool({ workers: 1, minBytes: 0, timeoutMs: 60_000, maxQueued: 1 });
    try {
      const text = JSON.stringify(patient(2_000));
      const running = pool.validate(text, [[]]);
      const waiting = pool.validate(text, [[]]);
      await assert.rejects(pool.validate(text, [[]]), (error: unknown) => error instanceof FhirError && error.status === 429 && error.retryAfterSeconds === 5);
      await Promise.all([running, waiting]);
    } finally {
      await pool.close();
    }
  });

  test('only bodies whose text was kept go off the loop; an invalid one is a 400 located at its entry', async () => {
    const pool = new ValidationPool({ workers: 1, minBytes: 0, timeoutMs: 60_000, maxQueued: 4 });
    try {
      const small = { resourceType: 'Patient' };
      assert.equal(await validateLargeBody(pool, small, [{ path: [], resource: small as never }]), undefined, 'no text kept: inline');
      const body = { resourceType: 'Bundle', entry: [{ resource: patient(1) }, { resource: { resourceType: 'Patient', gender: 'x' } }] };
      keepBodyText(body, JSON.stringify(body));
      assert.ok(bodyTextOf(body));
      const targets = body.entry.map((e, i) => ({ path: ['entry', i, 'resource'], resource: e.resource as never, entry: i }));
      await assert.rejects(validateLargeBody(pool, body, targets), (error: unknown) => {
        assert.ok(error instanceof FhirError);
        assert.equal(error.status, 400);
        assert.match(error.message, /^Bundle\.entry\[1\]/);
        return true;
      });
      const valid = { resourceType: 'Bundle', entry: [{ resource: patient(1) }] };
      keepBodyText(valid, JSON.stringify(valid));
      const validated = await validateLargeBody(pool, valid, [{ path: ['entry', 0, 'resource'], resource: valid.entry[0]?.resource as never, entry: 0 }]);
      assert.ok(validated?.validated.has(valid.entry[0]?.resource as object));
    } finally {
      await pool.close();
    }
  });
});
