import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contextPatients, personAnchors, personOfRecord, widenToPersons } from '../../src/access/person-scope.js';
import type { Principal } from '../../src/access/principal.js';
import { parseScopes } from '../../src/access/scopes.js';
import { PersonScopes } from '../../src/fhir/person-scopes.js';
import type { Condition } from '../../src/fhir/search/model.js';
import { personWideCondition } from '../../src/fhir/search/person-wide.js';
import type { Queryable } from '../../src/storage/database.js';

/** The pure parts of person-wide identity (access/person-scope.ts, search/person-wide.ts) and the cache. */
const principal = (over: Partial<Principal>): Principal => ({
  kind: 'user', subject: 'u1', clientId: 'app', role: 'patient', display: 'P', patients: [], scopes: parseScopes('user/*.rs'),
  platform: false, tokenId: 't', ...over,
});
const links = new Map([['a', ['a', 'b', 'c']], ['b', ['a', 'b', 'c']], ['k1', ['k1', 'k2']]]);

describe('person scope (pure)', () => {
  test('a patient covers every record of their person; an unknown record stays alone', () => {
    const widened = widenToPersons(principal({ patients: ['a'] }), links);
    assert.deepEqual(widened.patients, ['a', 'b', 'c']);
    assert.deepEqual(widenToPersons(principal({ patients: ['z'] }), links).patients, ['z']);
    assert.deepEqual(personOfRecord(widened, 'c'), ['a', 'b', 'c']);
    assert.equal(personOfRecord(widened, 'k1'), undefined, 'a person the principal does not name');
  });

  test('a proxy for two persons covers both, without mixing them', () => {
    const widened = widenToPersons(principal({ role: 'proxy', patients: ['b', 'k1'] }), links);
    assert.deepEqual([...widened.patients].sort(), ['a', 'b', 'c', 'k1', 'k2']);
    assert.deepEqual(personOfRecord(widened, 'k2'), ['k1', 'k2']);
    assert.deepEqual(personOfRecord(widened, 'a'), ['a', 'b', 'c']);
  });

  test('the launch context becomes the launch patient\'s whole person; the claim alone never widens', () => {
    const p = principal({ patients: ['a'], launchPatient: 'b' });
    assert.deepEqual(personAnchors(p), ['a', 'b']);
    assert.deepEqual(contextPatients(p), ['b'], 'not widened yet: the token\'s claim only');
    assert.deepEqual(contextPatients(widenToPersons(p, links)), ['a', 'b', 'c']);
    // After an unmerge the links shrink, and so does the context.
    assert.deepEqual(contextPatients(widenToPersons(p, new Map([['b', ['b']]]))), ['b']);
    assert.deepEqual(widenToPersons(p, new Map()).patients, ['a']);
  });

  test('a links list that lacks its anchor still holds the anchor', () => {
    assert.deepEqual(widenToPersons(principal({ patients: ['a'] }), new Map([['a', ['b']]])).patients, ['a', 'b']);
  });
});

describe('person-wide search conditions (pure)', () => {
  const personOf = (id: string) => (['a', 'b', 'c'].includes(id) ? ['a', 'b', 'c'] : undefined);
  test('references to one of the person\'s records name them all; others are untouched', () => {
    const c: Condition = { kind: 'index', table: 'search_reference', key: 1, tests: [{ type: 'reference', targets: ['Patient/b', 'Group/b'] }, { type: 'reference', targets: ['Patient/z'] }] };
    assert.deepEqual(personWideCondition(c, personOf), { ...c, tests: [{ type: 'reference', targets: ['Patient/b', 'Patient/a', 'Patient/c', 'Group/b'] }, { type: 'reference', targets: ['Patient/z'] }] });
    const token: Condition = { kind: 'index', table: 'search_token', key: 2, tests: [{ type: 'token', value: { system: undefined, code: 'Patient/b' } }] };
    assert.equal(personWideCondition(token, personOf), token);
  });

  test('a compartment becomes the compartments of every record, each Patient in its own', () => {
    const c: Condition = { kind: 'compartment', keys: [3], target: 'Patient/a', selfId: 'a' };
    assert.deepEqual(personWideCondition(c, personOf), { kind: 'any', conditions: ['a', 'b', 'c'].map((id) => ({ kind: 'compartment', keys: [3], target: `Patient/${id}`, selfId: id })) });
    const other: Condition = { kind: 'compartment', keys: [3], target: 'Patient/z' };
    assert.equal(personWideCondition(other, personOf), other);
  });

  test('chains, _has and alternatives are rewritten inside', () => {
    const ref: Condition = { kind: 'index', table: 'search_reference', key: 1, tests: [{ type: 'reference', targets: ['Patient/c'] }] };
    const widened = (personWideCondition(ref, personOf) as unknown as { tests: { targets: string[] }[] }).tests[0]?.targets;
    const has = personWideCondition({ kind: 'has', sourceType: 'Observation', key: 4, inner: [ref] }, personOf) as unknown as { inner: { tests: { targets: string[] }[] }[] };
    assert.deepEqual(has.inner[0]?.tests[0]?.targets, widened);
    const chain = personWideCondition({ kind: 'chain', key: 5, targets: [{ type: 'Encounter', inner: [ref] }] }, personOf) as unknown as { targets: { inner: { tests: { targets: string[] }[] }[] }[] };
    assert.deepEqual(chain.targets[0]?.inner[0]?.tests[0]?.targets, widened);
  });
});

describe('person scope cache', () => {
  function counting(rows: { anchor: string; patient_id: string }[]): Queryable & { calls: number } {
    const reader = { calls: 0, query: async () => { reader.calls++; return { rows, rowCount: rows.length }; } };
    return reader as unknown as Queryable & { calls: number };
  }
  const p = principal({ patients: ['a'] });

  test('answers from the cache until the TTL passes or a link change empties it', async () => {
    let now = 0;
    const scopes = new PersonScopes(1000, () => now);
    const reader = counting([{ anchor: 'a', patient_id: 'a' }, { anchor: 'a', patient_id: 'b' }]);
    assert.deepEqual((await scopes.widen(p, reader, true)).patients, ['a', 'b']);
    await scopes.widen(p, reader, true);
    assert.equal(reader.calls, 1);
    now = 1001;
    await scopes.widen(p, reader, true);
    assert.equal(reader.calls, 2, 'expired');
    scopes.clear();
    await scopes.widen(p, reader, true);
    assert.equal(reader.calls, 3, 'emptied');
  });

  test('a lookup inside a transaction, or one that raced a link change, is not kept', async () => {
    const scopes = new PersonScopes(60_000, () => 0);
    const reader = counting([{ anchor: 'a', patient_id: 'a' }]);
    await scopes.widen(p, reader, false);
    await scopes.widen(p, reader, false);
    assert.equal(reader.calls, 2);
    const racing = { query: async () => { scopes.clear(); return { rows: [], rowCount: 0 }; } } as unknown as Queryable;
    await scopes.widen(p, racing, true);
    await scopes.widen(p, reader, true);
    assert.equal(reader.calls, 3, 'the raced answer was not cached');
  });

  test('professionals without a patient context are not looked up', async () => {
    const scopes = new PersonScopes(1000);
    const reader = counting([]);
    const pro = principal({ role: 'physician', patients: [] });
    assert.equal(await scopes.widen(pro, reader, true), pro);
    assert.equal(reader.calls, 0);
  });
});
