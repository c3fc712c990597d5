import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Composition, Parameters, Patient, Provenance } from '@medplum/fhirtypes';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { personOf } from '../support/persons.js';

/**
 * POST Bundle/$ingest end to end: a received FHIR document filed into the record of its person (the MPI
 * links the document's Patient), with its original (Binary), DocumentReference and Provenance; the same
 * document twice writes nothing; bad documents are refused with a precise OperationOutcome and nothing
 * written; every IPS example of the shared test data is accepted or refused, none crashes.
 */
const FIXTURES = new URL('../../../test/fixtures/documents/', import.meta.url);
const SHARED = new URL('../../../../shared/data/ips-examples/', import.meta.url);
const fixture = (name: string) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Bundle;
const param = (p: Parameters, name: string) => p.parameter?.find((x) => x.name === name);

describe('Bundle/$ingest (FHIR documents in)', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(() => t.close());

  const ingest = (body: unknown, headers: Record<string, string> = {}) => t.request('POST', '/fhir/Bundle/$ingest', { body, headers });
  const count = async () => Number((await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource')).rows[0]?.n);
  const versions = async () => Number((await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource_version')).rows[0]?.n);

  test('an IPS is filed into the record of its person: entries, original, DocumentReference, Provenance', async () => {
    // The clinic already knows Martha: the MPI links the document's Patient to her Person.
    const { id: _id, contact: _contact, ...martha } = fixture('ips-bundle-minimal.json').entry?.[1]?.resource as Patient;
    const clinic = await t.request('POST', '/fhir/Patient', { body: { ...martha, identifier: [{ system: 'urn:oid:1.2.3.4.5', value: 'clinic-1' }] } });
    assert.equal(clinic.status, 201, clinic.text);
    const r = await ingest(fixture('ips-bundle-minimal.json'));
    assert.equal(r.status, 201, r.text.slice(0, 500));
    const out = r.body as Parameters;
    assert.equal(param(out, 'result')?.valueCode, 'created');
    const patient = param(out, 'patient')?.valueReference?.reference as string;
    assert.equal(await personOf(t, clinic.body.id), param(out, 'person')?.valueReference?.reference, 'the MPI links the document’s Patient to the clinic’s person');
    assert.equal(param(out, 'resources')?.valueInteger, 8);

    // The entries are in the record, their references rewritten to the filed resources.
    const conditions = (await t.request('GET', `/fhir/Condition?subject=${patient}`)).body as Bundle;
    assert.equal(conditions.total ?? conditions.entry?.length, 1);
    const statement = (await t.request('GET', `/fhir/MedicationStatement?subject=${patient}`)).body as Bundle;
    const med = statement.entry?.[0]?.resource as { medicationReference?: { reference?: string } };
    assert.match(med.medicationReference?.reference ?? '', /^Medication\/[0-9a-f-]{36}$/);
    assert.equal((await t.request('GET', `/fhir/${med.medicationReference?.reference}`)).status, 200);

    // The document itself: a DocumentReference to the original kept as a Binary, and one Provenance.
    const docRef = (await t.request('GET', `/fhir/${param(out, 'documentReference')?.valueReference?.reference}`)).body;
    assert.equal(docRef.subject.reference, patient);
    assert.equal(docRef.masterIdentifier.value, fixture('ips-bundle-minimal.json').identifier?.value);
    const binary = (await t.request('GET', `/fhir/${docRef.content[0].attachment.url}`)).body as { data: string };
    assert.deepEqual(JSON.parse(Buffer.from(binary.data, 'base64').toString('utf8')), fixture('ips-bundle-minimal.json'), 'the original, as received');
    const provenance = ((await t.request('GET', `/fhir/Provenance?entity=${docRef.resourceType}/${docRef.id}`)).body as Bundle).entry?.[0]?.resource as Provenance;
    assert.ok(provenance.target.some((x) => x.reference === patient));
    assert.equal(provenance.target.length, 9, 'the 8 entries and the DocumentReference');

    // The person's timeline shows the document; their summary (from the clinic's record) its problem.
    const timeline = (await t.request('GET', `/fhir/Patient/${clinic.body.id}/$timeline?category=document`)).body as Bundle;
    assert.ok((timeline.entry ?? []).some((e) => e.resource?.resourceType === 'Composition' || e.resource?.resourceType === 'DocumentReference'));
  });

  test('the same document twice writes nothing; a corrected version updates in place', async () => {
    const doc = fixture('ips-CA-Bundle1Example.json');
    assert.equal((await ingest(doc)).status, 201);
    const [resources, history] = [await count(), await versions()];
    const again = await ingest(doc);
    assert.equal(again.status, 200, again.text.slice(0, 300));
    assert.equal(param(again.body as Parameters, 'result')?.valueCode, 'unchanged');
    assert.deepEqual([await count(), await versions()], [resources, history], 'no resource, no version');
    const corrected = structuredClone(doc);
    (corrected.entry?.[0]?.resource as Composition).title = 'Corrected summary';
    const updated = await ingest(corrected);
    assert.equal(updated.status, 200);
    assert.equal(param(updated.body as Parameters, 'result')?.valueCode, 'updated');
    assert.equal(await count(), resources, 'the same resources, updated');
  });

  test('POST /fhir/Bundle stores a document as it is, found again by its identifier', async () => {
    const doc = fixture('ips-AU-section-emptyreason.json');
    const stored = await t.request('POST', '/fhir/Bundle', { body: doc });
    assert.equal(stored.status, 201, stored.text.slice(0, 300));
    assert.equal(stored.body.type, 'document');
    const found = (await t.request('GET', `/fhir/Bundle?identifier=${encodeURIComponent(`${doc.identifier?.system}|${doc.identifier?.value}`)}`)).body as Bundle;
    assert.equal(found.entry?.length, 1);
    assert.deepEqual((found.entry?.[0]?.resource as Bundle).entry?.map((e) => e.fullUrl), doc.entry?.map((e) => e.fullUrl), 'the entries untouched');
  });

  test('a document with only emptyReason sections is filed (its Patient, Composition, document)', async () => {
    const r = await ingest({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: fixture('ips-AU-section-emptyreason.json') }] });
    assert.equal(r.status, 201, r.text.slice(0, 500));
  });

  test('bad documents: a precise OperationOutcome, nothing written', async () => {
    const good = fixture('ips-bundle-minimal.json');
    const variants: [string, unknown, RegExp][] = [
      ['not a Bundle', { resourceType: 'Patient' }, /is a Bundle/],
      ['a searchset', { ...good, type: 'searchset' }, /only a Bundle of type/],
      ['no identifier', { ...good, identifier: undefined }, /bdl-9/],
      ['Composition not first', { ...good, entry: [...(good.entry ?? [])].reverse() }, /bdl-11/],
      ['broken section reference', (() => {
        const b = structuredClone(good);
        (b.entry?.[0]?.resource as Composition).section?.[0]?.entry?.push({ reference: 'urn:uuid:00000000-0000-0000-0000-000000000000' });
        return b;
      })(), /section\[0\]\.entry\[1\]/],
      ['two patients', { ...good, entry: [...(good.entry ?? []), { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: { resourceType: 'Patient' } }] }, /2 Patient/],
      ['subject elsewhere', (() => {
        const b = structuredClone(good);
        (b.entry?.[0]?.resource as Composition).subject = { reference: 'Patient/elsewhere' };
        return b;
      })(), /Composition.subject/],
      ['an invalid entry', (() => {
        const b = structuredClone(good);
        (b.entry?.[4]?.resource as { clinicalStatus?: unknown }).clinicalStatus = 'active';
        return b;
      })(), /clinicalStatus/],
    ];
    const [resources, history] = [await count(), await versions()];
    for (const [what, body, message] of variants) {
      const r = await ingest(body);
      assert.equal(r.status, 400, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
      assert.equal(r.body.resourceType, 'OperationOutcome', what);
      assert.match(JSON.stringify(r.body), message, what);
    }
    const xml = await t.request('POST', '/fhir/Bundle/$ingest', { body: '<Bundle xmlns="http://hl7.org/fhir"/>', headers: { 'content-type': 'application/fhir+xml' } });
    assert.equal(xml.status, 415);
    assert.deepEqual([await count(), await versions()], [resources, history], 'nothing written');
  });

  test('every IPS example of the shared test data is filed or refused with an OperationOutcome, none crashes', { skip: !existsSync(SHARED) && 'the shared test data is not here' }, async () => {
    const files = readdirSync(SHARED, { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && /\.(json|xml)$/.test(f.name) && f.name !== 'manifest.json');
    const outcomes: string[] = [];
    for (const f of files) {
      const path = `${f.parentPath}/${f.name}`;
      const text = readFileSync(path, 'utf8');
      const xml = f.name.endsWith('.xml');
      const r = xml
        ? await t.request('POST', '/fhir/Bundle/$ingest', { body: text, headers: { 'content-type': 'application/fhir+xml' } })
        : await ingest(JSON.parse(text.replace(/^\uFEFF/, '')));
      assert.ok(r.status < 500, `${f.name}: ${r.status} ${r.text.slice(0, 300)}`);
      if (r.status >= 400) {
        assert.equal(r.body.resourceType, 'OperationOutcome', f.name);
        const first = r.body.issue?.[0];
        assert.ok(first?.details?.text && (first.expression?.length || first.diagnostics?.length > 20), `${f.name}: a precise reason`);
      }
      outcomes.push(`${r.status} ${f.name} ${r.status >= 400 ? `${r.body.issue?.[0]?.details?.text} ${r.body.issue?.[0]?.expression ?? ''}`.slice(0, 160) : ''}`);
    }
    assert.equal(files.length, 41);
    console.log(outcomes.join('\n'));
  });
});
