import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * Issue #13 through the real server and database: every JSON shape defect is refused on every write path
 * with a 400 OperationOutcome naming the FHIRPath location, nothing of the request is stored, and $validate
 * says the same.
 */
describe('strict validation on every write path', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(async () => t.close());

  const MARK = 'Validationtest';
  const base = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ resourceType: 'Patient', name: [{ family: MARK, given: ['A'] }], ...extra });
  /** The defects of the issue, each with where it must be reported. */
  const DEFECTS: [string, Record<string, unknown>, string][] = [
    ['object for a primitive', { active: { id: '1' } }, 'Patient.active'],
    ['objects in an array of primitives', { name: [{ family: MARK, given: [{ id: '1' }] }] }, 'Patient.name[0].given[0]'],
    ['empty object', { maritalStatus: {} }, 'Patient.maritalStatus'],
    ['empty string', { birthDate: '' }, 'Patient.birthDate'],
    ['empty primitive extension', { _gender: {} }, 'Patient.gender'],
    ['impossible date', { birthDate: '2023-02-29' }, 'Patient.birthDate'],
    ['dateTime without a zone', { deceasedDateTime: '2015-02-07T15:15:15' }, 'Patient.deceased.ofType(dateTime)'],
    ['integer out of 32 bits', { multipleBirthInteger: 2147483648 }, 'Patient.multipleBirth.ofType(integer)'],
    ['_given as an object', { name: [{ family: MARK, given: ['A'], _given: { id: 'x' } }] }, 'Patient.name[0].given'],
    ['null without an extension', { name: [{ family: MARK, given: [null, 'test'] }] }, 'Patient.name[0].given[0]'],
    ['string as a primitive extension (was a 500)', { _active: 'test' }, 'Patient.active'],
    ['wrong extension value type', { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueString: 'x' }] }, 'Patient.extension[0].value.ofType(string)'],
    ['constructor key', { constructor: { prototype: { polluted: true } } }, 'Patient.constructor'],
  ];

  const expressions = (body: OperationOutcome): string[] => (body.issue ?? []).flatMap((i) => i.expression ?? []);
  const stored = async (): Promise<number> => {
    const r = await t.request('GET', `/fhir/Patient?family=${MARK}&_summary=count`);
    return (r.body as Bundle).total ?? -1;
  };

  test('create: each defect is a 400 OperationOutcome at its location, nothing stored', async () => {
    for (const [label, extra, at] of DEFECTS) {
      const r = await t.request('POST', '/fhir/Patient', { body: base(extra) });
      assert.equal(r.status, 400, `${label}: ${r.text}`);
      assert.equal(r.body.resourceType, 'OperationOutcome');
      assert.ok(expressions(r.body).includes(at), `${label}: ${JSON.stringify(expressions(r.body))}`);
    }
    // The raw __proto__ key (JSON.parse makes it an own property) is refused like any unknown element.
    const proto = await t.request('POST', '/fhir/Patient', { body: `{"resourceType":"Patient","name":[{"family":"${MARK}"}],"__proto__":{"polluted":true}}`, headers: { 'content-type': 'application/fhir+json' } });
    assert.equal(proto.status, 400);
    assert.deepEqual(expressions(proto.body), ['Patient.__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(await stored(), 0);
  });

  test('the valid primitive-extension forms are accepted', async () => {
    const a = await t.request('POST', '/fhir/Patient', { body: base({ name: [{ family: MARK, given: [null, 'test'], _given: [{ id: 'test' }, null] }] }) });
    assert.equal(a.status, 201, a.text);
    const b = await t.request('POST', '/fhir/Patient', { body: base({ name: [{ family: MARK, given: ['a', 'b'], _given: [null, null] }] }) });
    assert.equal(b.status, 201, b.text);
    for (const r of [a, b]) assert.equal((await t.request('DELETE', `/fhir/Patient/${r.body.id}`)).status, 204);
  });

  test('update and patch: refused with the location, the stored version unchanged', async () => {
    const created = await t.request('POST', '/fhir/Patient', { body: base({ active: true }) });
    const id = created.body.id as string;
    const put = await t.request('PUT', `/fhir/Patient/${id}`, { body: { ...base({ name: [] }), id } });
    assert.equal(put.status, 400);
    assert.deepEqual(expressions(put.body), ['Patient.name']);
    const patch = await t.request('PATCH', `/fhir/Patient/${id}`, {
      body: [{ op: 'replace', path: '/active', value: { id: '1' } }], headers: { 'content-type': 'application/json-patch+json' },
    });
    assert.equal(patch.status, 400);
    assert.deepEqual(expressions(patch.body), ['Patient.active']);
    const read = await t.request('GET', `/fhir/Patient/${id}`);
    assert.equal(read.body.meta.versionId, '1');
    assert.equal(read.body.active, true);
    assert.equal((await t.request('DELETE', `/fhir/Patient/${id}`)).status, 204);
  });

  test('transaction: one malformed entry refuses the whole Bundle, located in its entry, nothing written', async () => {
    const r = await t.request('POST', '/fhir', { body: {
      resourceType: 'Bundle', type: 'transaction', entry: [
        { fullUrl: 'urn:uuid:9d0a3b1e-5d4c-4f8e-9a55-0c6a1f1b7a01', resource: base(), request: { method: 'POST', url: 'Patient' } },
        { resource: base({ birthDate: '2024-02-31' }), request: { method: 'POST', url: 'Patient' } },
      ],
    } });
    assert.equal(r.status, 400, r.text);
    assert.deepEqual(expressions(r.body), ['Bundle.entry[1].resource.birthDate']);
    assert.equal(await stored(), 0, 'the valid entry was not written either');
  });

  test('batch: the malformed entry gets its 400, the others are processed', async () => {
    const r = await t.request('POST', '/fhir', { body: {
      resourceType: 'Bundle', type: 'batch', entry: [
        { resource: base(), request: { method: 'POST', url: 'Patient' } },
        { resource: base({ _active: 'test' }), request: { method: 'POST', url: 'Patient' } },
      ],
    } });
    assert.equal(r.status, 200, r.text);
    const [ok, bad] = (r.body as Bundle).entry ?? [];
    assert.match(ok?.response?.status ?? '', /^201/);
    assert.match(bad?.response?.status ?? '', /^400/);
    assert.ok(expressions(bad?.response?.outcome as OperationOutcome).some((e) => e.endsWith('active')), JSON.stringify(bad?.response?.outcome));
    assert.equal(await stored(), 1);
    const id = /Patient\/([^/]+)/.exec(ok?.response?.location ?? '')?.[1];
    assert.equal((await t.request('DELETE', `/fhir/Patient/${id}`)).status, 204);
  });

  test('$validate says invalid at the same locations: type level, system level, resource or Parameters', async () => {
    for (const [label, extra, at] of DEFECTS) {
      const r = await t.request('POST', '/fhir/Patient/$validate', { body: base(extra) });
      assert.equal(r.status, 200, label);
      const errors = (r.body as OperationOutcome).issue?.filter((i) => i.severity === 'error') ?? [];
      assert.ok(errors.some((i) => i.expression?.includes(at)), `${label}: ${JSON.stringify(r.body)}`);
    }
    const system = await t.request('POST', '/fhir/$validate', { body: base({ birthDate: '1900-02-29' }) });
    assert.equal(system.status, 200);
    assert.deepEqual(expressions(system.body), ['Patient.birthDate']);
    const wrapped = await t.request('POST', '/fhir/$validate', { body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: base({ name: [] }) }] } });
    assert.deepEqual(expressions(wrapped.body), ['Patient.name']);
    const parameters = await t.request('POST', '/fhir/$validate', { body: { resourceType: 'Parameters', parameter: [{ name: 'a', valueBoolean: 'yes' }] } });
    assert.deepEqual(expressions(parameters.body), ['Parameters.parameter[0].value.ofType(boolean)']);
    const valid = await t.request('POST', '/fhir/$validate', { body: base() });
    assert.equal(valid.status, 200);
    assert.equal(valid.body.issue.some((i: { severity: string }) => i.severity === 'error'), false);
    const metadata = await t.request('GET', '/fhir/metadata');
    const systemOps = metadata.body.rest[0].operation as { name: string; definition: string }[];
    assert.ok(systemOps.some((o) => o.name === 'validate' && o.definition === 'http://hl7.org/fhir/OperationDefinition/Resource-validate'));
    assert.equal(await stored(), 0);
  });
});
