import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dateRange, parseAuditEventQuery } from '../../src/fhir/operations/audit-event-query.js';
import { FhirError } from '../../src/fhir/outcomes.js';
import { CARNET_AGENT, DICOM_DCM } from '../../src/fhir/code-systems.js';

/** ITI-81's parameters → criteria over the audit trail (pure). */
const parse = (query: string) => parseAuditEventQuery(new URLSearchParams(query));
const refused = (query: string, pattern: RegExp) => assert.throws(() => parse(query), (e: unknown) => e instanceof FhirError && e.status === 400 && pattern.test(e.message));

describe('ITI-81 query parameters', () => {
  test('dates cover their precision; prefixes bound the range; several dates intersect', () => {
    const day = dateRange('2026-12-03');
    assert.deepEqual([day.prefix, day.start.toISOString(), day.end.toISOString()], ['eq', '2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z']);
    assert.equal(dateRange('2026').end.toISOString(), '2027-01-01T00:00:00.000Z');
    assert.equal(dateRange('2026-02').end.toISOString(), '2026-03-01T00:00:00.000Z');
    assert.equal(dateRange('ge2026-12-03T10:15:00+01:00').start.toISOString(), '2026-12-03T09:15:00.000Z');
    assert.equal(dateRange('2026-12-03T10:15Z').end.toISOString(), '2026-12-03T10:16:00.000Z');
    const q = parse('date=ge2026-12-01&date=le2026-12-03');
    assert.deepEqual([q.since, q.until], ['2026-12-01T00:00:00.000Z', '2026-12-04T00:00:00.000Z'], 'le includes the whole day');
    const strict = parse('date=gt2026-12-01&date=lt2026-12-03&date=ge2026-11-01');
    assert.deepEqual([strict.since, strict.until], ['2026-12-02T00:00:00.000Z', '2026-12-03T00:00:00.000Z'], 'the tightest bounds win');
    const eq = parse('date=2026-12-02');
    assert.deepEqual([eq.since, eq.until], ['2026-12-02T00:00:00.000Z', '2026-12-03T00:00:00.000Z']);
    refused('date=2026-02-30', /not a real date/);
    refused('date=2026-12-03T10:15', /not a date/);
    refused('date=ne2026-12-03', /not a date/);
    refused('date=2026-12-01,2026-12-02', /one value per parameter/);
  });

  test('references, tokens and strings become conditions: repeats AND, commas OR', () => {
    const q = parse(`patient=Patient/p1,p2&patient=https://x.example/fhir/Patient/p3&agent=Practitioner/dr-b&entity=Observation/o1&outcome=4,8&type=${DICOM_DCM}|110114&subtype=read&action=R&agent-name=Dr&address=10.0.0.1&_id=abc`);
    assert.deepEqual(q.patients, [['p1', 'p2'], ['p3']]);
    assert.deepEqual(q.namedPatients, ['p1', 'p2', 'p3']);
    assert.deepEqual(q.outcomes, [['4', '8']]);
    assert.deepEqual(q.contains.map((list) => list.map((doc) => JSON.parse(doc))), [
      [{ agent: [{ who: { reference: 'Practitioner/dr-b' } }] }],
      [{ entity: [{ what: { reference: 'Observation/o1' } }] }],
      [{ type: { system: DICOM_DCM, code: '110114' } }],
      [{ subtype: [{ code: 'read' }] }],
      [{ action: 'R' }],
    ]);
    assert.deepEqual(q.agentNames, [['Dr']]);
    assert.deepEqual(q.addresses, [['10.0.0.1']]);
    assert.deepEqual(q.ids, ['abc']);
    const ident = parse(`agent:identifier=${CARNET_AGENT}|client:lab`);
    assert.deepEqual(JSON.parse(ident.contains[0]?.[0] as string), { agent: [{ who: { identifier: { system: CARNET_AGENT, value: 'client:lab' } } }] });
  });

  test('paging: 50 by default, at most 500, a cursor this server gave', () => {
    assert.deepEqual([parse('').count, parse('').limit], [50, 51]);
    assert.equal(parse('_count=9000').count, 500);
    assert.equal(parse('_cursor=42').beforeId, 42);
    assert.equal(parse('_sort=-date&_format=json').count, 50);
    refused('_count=0', /_count/);
    refused('_cursor=abc', /_cursor/);
    refused('_sort=date', /newest first/);
  });

  test('what is not implemented is refused, not ignored', () => {
    refused('site=x', /does not take "site"/);
    refused('patient:missing=true', /does not take/);
    refused('outcome=2', /outcome/);
    refused('action=X', /action/);
    refused('agent=dr-b', /not a reference/);
    refused('patient=Group/g', /not a Patient reference/);
    refused('patient=', /empty value/);
    refused('type=http://x|', /needs a code/);
  });
});
