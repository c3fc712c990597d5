import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { shiftDate } from '../../src/research/deid/dates.js';
import { pseudonym, releaseKey, shiftDays } from '../../src/research/deid/keys.js';
import { DEIDENTIFIED, PSEUDONYMISED, profileNamed, PROFILE_NAMES } from '../../src/research/deid/profiles.js';
import { walkResource, type Counts, type WalkContext } from '../../src/research/deid/walk.js';

/** De-identification profiles, pure: every rule of docs/research.md on resources, without a server. */
const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

function ctxOf(profile = DEIDENTIFIED, scope = 'export:e1', person = 'p1'): WalkContext {
  const key = releaseKey(SECRET, scope);
  return { profile, shift: shiftDays(key, person, profile.maxShiftDays), pseudonym: (t, i) => pseudonym(key, t, i) };
}

const patient = {
  resourceType: 'Patient', id: 'p1', meta: { versionId: '3', lastUpdated: '2026-01-01T10:00:00Z', source: 'urn:x' },
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Marie Tremblay</div>' },
  identifier: [{ system: 'urn:nam', value: 'TREM70510112' }],
  name: [{ family: 'Tremblay', given: ['Marie'] }], telecom: [{ system: 'phone', value: '514-555-0101' }],
  gender: 'female', birthDate: '1970-05-11', deceasedDateTime: '2025-03-02T08:30:00-05:00',
  address: [{ use: 'home', line: ['1234 rue Saint-Denis'], city: 'Montréal', state: 'QC', postalCode: 'h2x 1k4', country: 'CA' }, { use: 'old', postalCode: 'G1R 2B5' }],
  photo: [{ contentType: 'image/png', data: 'iVBORw0KGgo=' }],
  contact: [{ relationship: [{ text: 'mère' }], name: { family: 'Tremblay' }, telecom: [{ system: 'phone', value: '514-555-0102' }] }],
  maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M', display: 'Married' }] },
  extension: [{ url: 'http://example.org/nickname', valueString: 'Mimi' }, { url: 'http://example.org/arrived', valueDate: '1990-06-01' }],
  _birthDate: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: '1970-05-11T04:30:00-05:00' }] },
  generalPractitioner: [{ reference: 'Practitioner/dr1', display: 'Dre Gagnon' }],
  managingOrganization: { reference: 'http://other.example/Organization/x' },
};

describe('de-identification profiles', () => {
  test('the profiles are data with names and versions', () => {
    assert.deepEqual([...PROFILE_NAMES].sort(), ['de-identified', 'pseudonymised']);
    assert.equal(profileNamed('de-identified'), DEIDENTIFIED);
    assert.equal(profileNamed('identified'), undefined);
    assert.ok(DEIDENTIFIED.version && PSEUDONYMISED.version);
  });

  test('direct identifiers, narrative, photos, contacts and free text are removed; postal code cut to the FSA', () => {
    const counts: Counts = {};
    const out = walkResource(patient, ctxOf(), counts) as Record<string, any>;
    const text = JSON.stringify(out);
    for (const secret of ['Tremblay', 'Marie', 'TREM70510112', '514-555', 'Saint-Denis', 'Montréal', 'iVBOR', 'Mimi', 'Gagnon', 'H2X 1K4', 'H2X1K4', 'G1R', 'other.example', '04:30']) {
      assert.ok(!text.includes(secret), `${secret} is gone`);
    }
    assert.equal(out.text, undefined);
    assert.equal(out.contact, undefined);
    assert.deepEqual(out.address, [{ use: 'home', state: 'QC', country: 'CA', postalCode: 'H2X' }]);
    assert.equal(out.gender, 'female');
    assert.equal(out.birthDate, '1970', 'birth date to the year');
    assert.equal(out.maritalStatus.coding[0].display, 'Married', 'the words of codes stay');
    assert.deepEqual(out.meta, { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'ANONYED', display: 'anonymized' }] });
    for (const [rule, n] of Object.entries({ 'removed.names': 1, 'removed.identifiers': 1, 'removed.telecom': 1, 'removed.attachments': 1, 'removed.narratives': 1, 'removed.contacts': 1, 'removed.addresses': 1, 'removed.address-lines': 1, 'generalised.postal-codes': 1, 'generalised.birth-dates': 1, 'pseudonymised.ids': 1, 'removed.references': 1 })) {
      assert.equal(counts[rule], n, rule);
    }
    assert.ok((counts['removed.free-text'] ?? 0) >= 2, 'the extension string and the reference display');
  });

  test('ids and references: the same pseudonym for a resource and every reference to it; a different one in another release', () => {
    const a = walkResource(patient, ctxOf(), {}) as Record<string, any>;
    const obs = walkResource({ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'glucose' }, subject: { reference: 'Patient/p1' } }, ctxOf(), {}) as Record<string, any>;
    assert.match(a.id, /^[0-9a-f]{32}$/);
    assert.equal(obs.subject.reference, `Patient/${a.id}`);
    assert.equal(obs.code.text, 'glucose');
    assert.notEqual((walkResource(patient, ctxOf(DEIDENTIFIED, 'export:e2'), {}) as Record<string, any>).id, a.id, 'two exports cannot be linked');
    assert.equal((walkResource(patient, ctxOf(PSEUDONYMISED, 'project:pr1'), {}) as Record<string, any>).id, (walkResource(patient, ctxOf(PSEUDONYMISED, 'project:pr1'), {}) as Record<string, any>).id);
    assert.notEqual((walkResource(patient, ctxOf(PSEUDONYMISED, 'project:pr1'), {}) as Record<string, any>).id, (walkResource(patient, ctxOf(PSEUDONYMISED, 'project:pr2'), {}) as Record<string, any>).id);
    assert.equal((walkResource({ resourceType: 'Observation', id: 'o2', status: 'final', code: {}, contained: [{ resourceType: 'Patient', id: 'c1' }], subject: { reference: '#c1' } }, ctxOf(), {}) as Record<string, any>).subject.reference, '#c1');
  });

  test('dates shift per person by whole days, keeping time, zone and precision, so intervals are kept', () => {
    assert.equal(shiftDate('2020-02-28', 2), '2020-03-01');
    assert.equal(shiftDate('2020-02-28T23:10:00.123-05:00', -365), '2019-02-28T23:10:00.123-05:00');
    assert.equal(shiftDate('2020-06', 20).length, 7);
    assert.equal(shiftDate('2020', 10), '2020');
    const ctx = ctxOf();
    assert.ok(ctx.shift !== 0 && Math.abs(ctx.shift) <= DEIDENTIFIED.maxShiftDays);
    const enc = (id: string, start: string, end: string) => walkResource({ resourceType: 'Encounter', id, status: 'finished', class: { code: 'AMB' }, period: { start, end } }, ctx, {}) as Record<string, any>;
    const e1 = enc('e1', '2024-01-10T08:00:00Z', '2024-01-12T08:00:00Z');
    const e2 = enc('e2', '2024-03-01', '2024-03-01');
    const days = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 86_400_000;
    assert.equal(days(e1.period.start, e1.period.end), 2);
    assert.equal(days(e1.period.start.slice(0, 10), e2.period.start), days('2024-01-10', '2024-03-01'), 'intervals between resources of one person kept');
    assert.notEqual(e1.period.start, '2024-01-10T08:00:00Z');
    const others = new Set(['p2', 'p3', 'p4', 'p5', 'p6'].map((p) => ctxOf(DEIDENTIFIED, 'export:e1', p).shift));
    assert.ok(others.size > 1, 'persons have their own shifts');
    const pseudo = walkResource(patient, ctxOf(PSEUDONYMISED, 'project:pr1'), {}) as Record<string, any>;
    assert.equal(pseudo.birthDate, shiftDate('1970-05-11', ctxOf(PSEUDONYMISED, 'project:pr1').shift).slice(0, 4), 'pseudonymised: the shifted birth year');
  });

  test('free text is removed wherever it is: notes, valueString, markdown, document content; ages over the top age capped', () => {
    const counts: Counts = {};
    const obs = walkResource({
      resourceType: 'Observation', id: 'o1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '1-8', display: 'Glucose' }] },
      note: [{ text: 'patient says her neighbour Jean…' }], valueString: 'called Jean at 555-0101',
      component: [{ code: { text: 'age' }, valueQuantity: { value: 5, unit: 'mmol/L' } }],
    }, ctxOf(), counts) as Record<string, any>;
    assert.equal(obs.note, undefined);
    assert.equal(obs.valueString, undefined);
    assert.equal(obs.component[0].valueQuantity.unit, 'mmol/L');
    assert.equal(counts['removed.notes'], 1);
    const doc = walkResource({ resourceType: 'DocumentReference', id: 'd1', status: 'current', description: 'Lettre', content: [{ attachment: { contentType: 'text/plain', data: 'SGVsbG8=' } }] }, ctxOf(), {}) as Record<string, any>;
    assert.ok(!JSON.stringify(doc).includes('SGVsbG8') && !JSON.stringify(doc).includes('Lettre'));
    const cond = walkResource({ resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/p1' }, onsetAge: { value: 93, unit: 'a', system: 'http://unitsofmeasure.org', code: 'a' } }, ctxOf(), counts) as Record<string, any>;
    assert.deepEqual([cond.onsetAge.value, cond.onsetAge.comparator], [90, '>=']);
    assert.equal(counts['generalised.ages'], 1);
  });

  test('what the definitions do not know is dropped, never passed through', () => {
    const counts: Counts = {};
    const out = walkResource({ resourceType: 'Patient', id: 'x', secretField: 'Marie', gender: 'male' }, ctxOf(), counts) as Record<string, any>;
    assert.equal(out.secretField, undefined);
    assert.equal(counts['removed.unknown-elements'], 1);
    assert.equal(walkResource({ resourceType: 'NotAType', id: 'x' }, ctxOf(), {}), undefined);
  });
});
