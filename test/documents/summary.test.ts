import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Composition, MedicationStatement, Resource } from '@medplum/fhirtypes';
import type { GroundTruth, GroundTruthPerson } from '../../src/generate/ground-truth.js';
import { professionalToken, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { loadTestPopulation } from '../support/population.js';
import { ipsProblems } from './ips-conformance.js';

/**
 * Patient/[id]/$summary end to end: the IPS document of the whole person (every source record the MPI
 * links), conformance of every demo person's summary, languages, identifier selection, consent (withheld
 * entries said so; a hidden patient is a 403/404 like a read) and the audit trail.
 */
const NAM_SYSTEM = 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-qc-patient-healthcare-id';
// Dated today, so the recency rules (12–24 months) see the generated record as current.
const TODAY = new Date().toISOString().slice(0, 10);

describe('Patient/$summary (IPS)', () => {
  let t: TestCarnet;
  let truth: GroundTruth;
  before(async () => {
    t = await startTestCarnet();
    await seedDirectory(t);
    ({ groundTruth: truth } = await loadTestPopulation(t, { referenceDate: TODAY }, 'Organization/org-a'));
  });
  after(() => t.close());

  const idOf = (p: GroundTruthPerson, i = 0) => (p.records[i]?.patient ?? '').split('/')[1] as string;
  const summary = async (path: string, headers: Record<string, string> = {}, token?: string) => t.request('GET', `/fhir/${path}`, { headers, ...(token ? { token } : {}) });
  const resources = (b: Bundle) => (b.entry ?? []).map((e) => e.resource as Resource);
  const composition = (b: Bundle) => b.entry?.[0]?.resource as Composition;
  const section = (b: Bundle, loinc: string) => composition(b).section?.find((s) => s.code?.coding?.[0]?.code === loinc);
  const entriesOf = (b: Bundle, loinc: string) => {
    const byUrl = new Map((b.entry ?? []).map((e) => [e.fullUrl, e.resource as Resource]));
    return (section(b, loinc)?.entry ?? []).map((e) => byUrl.get(e.reference) as Resource);
  };

  test('every demo person’s summary conforms to R4 and the IPS profiles', async () => {
    let checked = 0;
    for (const person of truth.persons) {
      const r = await summary(`Patient/${idOf(person)}/$summary`);
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.deepEqual(ipsProblems(r.body as Bundle), [], `${person.key}`);
      checked++;
    }
    assert.equal(checked, truth.persons.length);
    // The checker itself finds what is wrong: a repeated Composition, a missing required section, a nameless Patient.
    const broken = structuredClone((await summary(`Patient/${idOf(truth.persons[0] as GroundTruthPerson)}/$summary`)).body) as Bundle;
    const comp = broken.entry?.[0]?.resource as Composition;
    comp.section = comp.section?.filter((s) => s.code?.coding?.[0]?.code !== '11450-4');
    (broken.entry?.[1]?.resource as { name?: unknown }).name = [{ use: 'official' }];
    broken.entry?.push(broken.entry[0] as never);
    const found = ipsProblems(broken).join('\n');
    assert.match(found, /bdl-ips-1/);
    assert.match(found, /sectionProblems \(11450-4\) is required/);
    assert.match(found, /ips-pat-1/);
  });

  test('a document of the whole person: every linked source record, one subject, no duplicate facts', async () => {
    const person = truth.persons.filter((p) => p.records.length >= 3).sort((a, b) => b.conditions.length - a.conditions.length)[0] as GroundTruthPerson;
    const r = await summary(`Patient/${idOf(person)}/$summary`);
    const b = r.body as Bundle;
    assert.equal(b.type, 'document');
    assert.equal(composition(b).type?.coding?.[0]?.code, '60591-5');
    assert.equal(resources(b).filter((x) => x.resourceType === 'Patient').length, 1, 'one Patient: the subject');
    const subject = composition(b).subject?.reference;
    for (const x of resources(b)) {
      const json = JSON.stringify(x);
      assert.ok(!/"reference":"Patient\//.test(json), `${x.resourceType}/${x.id} refers to the subject by its fullUrl only`);
    }
    assert.ok(JSON.stringify(b).includes(subject as string));
    // Entries come from several source records: medications derive from the clinic's requests and the pharmacy's dispenses.
    const meds = entriesOf(b, '10160-0') as MedicationStatement[];
    assert.ok(meds.length > 0, 'medications');
    const derived = new Set(meds.flatMap((m) => (m.derivedFrom ?? []).map((d) => resources(b).find((x) => (b.entry ?? []).find((e) => e.fullUrl === d.reference)?.resource === x)?.resourceType)));
    assert.ok(derived.has('MedicationRequest') && derived.has('MedicationDispense'), `derived from ${[...derived]}`);
    const problemCodes = entriesOf(b, '11450-4').map((c) => JSON.stringify((c as { code?: unknown }).code));
    assert.equal(new Set(problemCodes).size, problemCodes.length, 'each problem once');
    const vitals = entriesOf(b, '8716-3').map((o) => (o as { code?: { coding?: { code?: string }[] } }).code?.coding?.[0]?.code);
    assert.equal(new Set(vitals).size, vitals.length, 'the latest measurement per analyte only');
    // The same summary through another source record of the same person.
    const other = await summary(`Patient/${idOf(person, 1)}/$summary`);
    assert.equal(other.status, 200);
    assert.equal((entriesOf(other.body as Bundle, '10160-0')).length, meds.length, 'the whole person from any of their records');
  });

  test('narratives in French by default, in English on request', async () => {
    const id = idOf(truth.persons[0] as GroundTruthPerson);
    const fr = (await summary(`Patient/${id}/$summary`)).body as Bundle;
    assert.equal(composition(fr).language, 'fr-CA');
    assert.match(section(fr, '11450-4')?.text?.div ?? '', /Problème/);
    const en = (await summary(`Patient/${id}/$summary`, { 'accept-language': 'en-CA,en;q=0.9,fr;q=0.5' })).body as Bundle;
    assert.equal(composition(en).language, 'en-CA');
    assert.equal(section(en, '11450-4')?.title, 'Active problems');
    assert.equal(composition((await summary(`Patient/${id}/$summary?_language=en`)).body as Bundle).language, 'en-CA');
    const refused = await summary(`Patient/${id}/$summary?_language=de`);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.resourceType, 'OperationOutcome');
  });

  test('Patient/$summary?identifier= selects the person by their NAM', async () => {
    const person = truth.persons[1] as GroundTruthPerson;
    const r = await summary(`Patient/$summary?identifier=${encodeURIComponent(`${NAM_SYSTEM}|${person.nam}`)}`);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.deepEqual(ipsProblems(r.body as Bundle), []);
    const patient = resources(r.body as Bundle).find((x) => x.resourceType === 'Patient') as { identifier?: { value?: string }[] };
    assert.ok(person.records.some((rec) => rec.patient === `Patient/${(patient as { id?: string }).id}`));
    assert.equal((await summary(`Patient/$summary?identifier=${encodeURIComponent(`${NAM_SYSTEM}|XXXX00000000`)}`)).status, 404);
    assert.equal((await summary('Patient/$summary')).status, 400);
  });

  test('the CapabilityStatement lists the operation with the IPS definition', async () => {
    const cap = (await t.request('GET', '/fhir/metadata')).body as { rest: { resource: { type: string; operation?: { name: string; definition: string }[] }[] }[] };
    const patient = cap.rest[0]?.resource.find((r) => r.type === 'Patient');
    const op = patient?.operation?.find((o) => o.name === 'summary');
    assert.equal(op?.definition, 'http://hl7.org/fhir/uv/ips/OperationDefinition/summary');
  });

  test('bad input: unknown patient, unknown parameter, unsupported profile', async () => {
    assert.equal((await summary('Patient/nobody/$summary')).status, 404);
    assert.equal((await summary(`Patient/${idOf(truth.persons[0] as GroundTruthPerson)}/$summary?foo=1`)).status, 400);
    assert.equal((await summary(`Patient/${idOf(truth.persons[0] as GroundTruthPerson)}/$summary?profile=http://example.org/x`)).status, 501, 'a profile Carnet does not produce');
    assert.equal((await summary('Observation/x/$summary')).status, 404);
  });

  test('consent: what a professional of another organisation may not see is absent and the section says so; an opted-out record is refused', async () => {
    const token = await professionalToken(t, 'dr-b-summary', 'physician', 'dr-b');
    const sensitive = new Set(Object.values(truth.sensitive).flat());
    // A person whose full summary (as the platform sees it) shows one of their sensitive resources.
    let person: GroundTruthPerson | undefined;
    for (const p of truth.persons) {
      const full = (await summary(`Patient/${idOf(p)}/$summary`)).body as Bundle;
      if (resources(full).some((x) => sensitive.has(`${x.resourceType}/${x.id}`))) {
        person = p;
        break;
      }
    }
    assert.ok(person, 'a person whose summary shows a sensitive resource');
    const mine = await summary(`Patient/${idOf(person)}/$summary`, {}, token);
    assert.equal(mine.status, 200, mine.text.slice(0, 300));
    const b = mine.body as Bundle;
    assert.deepEqual(ipsProblems(b), []);
    for (const x of resources(b)) assert.ok(!sensitive.has(`${x.resourceType}/${x.id}`), `${x.resourceType}/${x.id} is hidden from dr-b`);
    const withheld = composition(b).section?.filter((s) => /pas accessibles/.test(s.text?.div ?? '')) ?? [];
    assert.ok(withheld.length > 0, 'a section says data was withheld');

    // The person opts out of sharing: their summary is refused like a read.
    const id = idOf(person);
    const consent = {
      resourceType: 'Consent', status: 'active', patient: { reference: `Patient/${id}` },
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }], provision: { type: 'deny' },
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTOUT' }] },
    };
    const written = await t.request('POST', '/fhir/Consent', { body: consent });
    assert.equal(written.status, 201, written.text);
    const read = await t.request('GET', `/fhir/Patient/${id}`, { token });
    const refused = await summary(`Patient/${id}/$summary`, {}, token);
    assert.ok([403, 404].includes(refused.status), `refused: ${refused.status}`);
    assert.equal(refused.status, read.status, 'exactly as a read is');
  });

  test('every summary is in the audit trail with the patients it showed', async () => {
    const person = truth.persons[2] as GroundTruthPerson;
    const id = idOf(person);
    assert.equal((await summary(`Patient/${id}/$summary`)).status, 200);
    const { rows } = await t.carnet.db.query<{ patients: string[]; content: string }>('SELECT patients, content FROM audit_event WHERE $1 = ANY(patients) AND content LIKE $2', [id, '%summary%']);
    assert.ok(rows.length > 0, 'audited');
  });
});
