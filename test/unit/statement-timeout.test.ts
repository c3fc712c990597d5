import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errorResponse, knownFailure } from '../../src/fhir/outcomes.js';
import { isCancelledStatement } from '../../src/storage/database.js';
import { loadConfig } from '../../src/config/config.js';

/** Issue #13: a statement cancelled by its timeout (SQLSTATE 57014) is a 503, never a 500, in the one error table. */
describe('statement timeout mapping', () => {
  const cancelled = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });

  test('SQLSTATE 57014 is a 503 OperationOutcome: issue code timeout, error code statement-timeout, Retry-After', () => {
    assert.ok(isCancelledStatement(cancelled));
    const answer = errorResponse(cancelled);
    assert.equal(answer.status, 503);
    assert.equal(answer.headers?.['retry-after'], '5');
    assert.equal(answer.body.issue?.[0]?.code, 'timeout');
    assert.equal(answer.body.issue?.[0]?.details?.coding?.[0]?.code, 'statement-timeout');
    assert.doesNotMatch(JSON.stringify(answer.body), /canceling statement/, 'no database internals in the answer');
  });

  test('other database errors stay bugs (500), and a FhirError is itself', () => {
    assert.equal(knownFailure(Object.assign(new Error('deadlock'), { code: '40P01' })), undefined);
    assert.equal(errorResponse(new Error('boom')).status, 500);
    assert.equal(isCancelledStatement(new Error('boom')), false);
  });

  test('CARNET_STATEMENT_TIMEOUT_MS: 30 s by default, 0 turns it off', () => {
    assert.equal(loadConfig({}).statementTimeoutMs, 30_000);
    assert.equal(loadConfig({ CARNET_STATEMENT_TIMEOUT_MS: '0' }).statementTimeoutMs, 0);
    assert.throws(() => loadConfig({ CARNET_STATEMENT_TIMEOUT_MS: '-1' }));
  });
});
