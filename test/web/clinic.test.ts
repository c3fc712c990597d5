import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Bundle, Patient, Person } from '@medplum/fhirtypes';
import { ageOn, clean, fromQuery, groupByPerson, isEmpty, matchInput, NAM_SYSTEM, searchInput, toQuery } from '../../web/src/clinique/patient-search.js';
import { reconcile } from '../../web/src/clinique/reconcile.js';
import { candidatesOf, decisionsOf } from '../../web/src/clinique/review.js';
import { claimsOf, sectionsOf } from '../../web/src/clinique/roles.js';
import { parseRoute, PATHS, sectionOf } from '../../web/src/clinique/routes.js';
import { isWithheld, summarySections } from '../../web/src/clinique/summary.js';
import type { DrugLine } from '../../web/src/shared/medications.js';

/** The workspace's pure logic: roles and menus, addresses, patient search, the summary, reconciliation, the review queue. */
describe('the workspace, pure', () => {
  test('each role sees its sections only; a token’s claims choose them', () => {
    for (const role of ['physician', 'nurse']) assert.deepEqual(sectionsOf(role), ['patients', 'inbox']);
    assert.deepEqual(sectionsOf('pharmacist'), ['patients']);
    assert.deepEqual(sectionsOf('privacy-officer'), ['audit']);
    assert.deepEqual(sectionsOf('admin'), ['mpi', 'hl7', 'jobs', 'audit']);
    for (const role of ['patient', 'proxy', 'researcher', 'system', undefined]) assert.deepEqual(sectionsOf(role), []);
    const payload = Buffer.from(JSON.stringify({ role: 'nurse', name: 'Julie Roy — é' })).toString('base64url');
    assert.deepEqual(claimsOf(`h.${payload}.s`), { role: 'nurse', name: 'Julie Roy — é' });
    assert.deepEqual(claimsOf('garbage'), {});
    assert.deepEqual(claimsOf(undefined), {});
  });

  test('addresses: each page its own, unknown ones are not found, sections per route', () => {
    assert.deepEqual(parseRoute('/clinique/'), { name: 'home' });
    assert.deepEqual(parseRoute('/clinique/patient/abc-1/resultats'), { name: 'patient', id: 'abc-1', tab: 'results' });
    assert.deepEqual(parseRoute(PATHS.patient('x', 'medications')), { name: 'patient', id: 'x', tab: 'medications' });
    assert.deepEqual(parseRoute('/clinique/patient/x/nope'), { name: 'not-found' });
    assert.deepEqual(parseRoute('/clinique/patient/a%2Fb'), { name: 'not-found' });
    assert.equal(sectionOf(parseRoute('/clinique/audit')), 'audit');
    assert.equal(sectionOf(parseRoute('/clinique/patient/x')), 'patients');
  });

  test('search criteria: empty is refused, the $match Patient and the plain search carry only what was given', () => {
    assert.equal(isEmpty(clean({ family: '  ', nam: '' })), true);
    const c = clean({ family: ' St-Pierre ', given: 'Marie  Ève', birthDate: '1980-02-03', nam: 'trem 8002 0312', phone: '514 555-0101' });
    assert.deepEqual(matchInput(c), {
      resourceType: 'Patient', name: [{ family: 'St-Pierre', given: ['Marie', 'Ève'] }], birthDate: '1980-02-03',
      identifier: [{ system: NAM_SYSTEM, value: 'TREM80020312' }], telecom: [{ system: 'phone', value: '514 555-0101' }],
    });
    assert.match(searchInput(c), /^Patient\?family=St-Pierre&given=Marie\+%C3%88ve&birthdate=1980-02-03&identifier=/);
    assert.deepEqual(matchInput(clean({ birthDate: '03/02/1980' })), { resourceType: 'Patient' }, 'a malformed date is not sent');
    assert.deepEqual(fromQuery(toQuery(c)), c, 'the criteria survive the address');
  });

  test('grouped by Person: one row with every linked record and its assurance, most likely first; unlinked records alone', () => {
    const p = (id: string, family: string, org?: string): Patient => ({ resourceType: 'Patient', id, name: [{ family, given: ['Ana'] }], birthDate: '1990-01-02', ...(org ? { managingOrganization: { display: org } } : {}) });
    const person: Person = { resourceType: 'Person', id: 'P1', link: [{ target: { reference: 'Patient/a' }, assurance: 'level3' }, { target: { reference: 'Patient/b' }, assurance: 'level4' }] };
    const rows = groupByPerson(
      [{ patient: p('a', 'Roy', 'Clinique A'), score: 0.7, grade: 'probable' }, { patient: p('c', 'Roi'), score: 0.95, grade: 'certain' }, { patient: p('d', 'Royer') }, { patient: p('a', 'Roy', 'Clinique A') }],
      [person], [p('b', 'Roy', 'Labo B')],
    );
    assert.deepEqual(rows.map((r) => [r.key, r.grade, r.records.length]), [['Patient/c', 'certain', 1], ['Person/P1', 'probable', 2], ['Patient/d', undefined, 1]]);
    const grouped = rows[1];
    assert.deepEqual(grouped?.records.map((r) => [r.id, r.organisation, r.assurance, r.matched]), [['a', 'Clinique A', 'level3', true], ['b', 'Labo B', 'level4', false]]);
    assert.equal(grouped?.primary, 'a');
  });

  test('age on a day', () => {
    assert.equal(ageOn('1980-06-15', new Date('2026-06-14T12:00:00Z')), 45);
    assert.equal(ageOn('1980-06-15', new Date('2026-06-15T12:00:00Z')), 46);
    assert.equal(ageOn('1980', new Date()), undefined);
  });

  test('the summary: titles, lines, and withheld sections said without what', () => {
    const bundle: Bundle = {
      resourceType: 'Bundle', type: 'document', entry: [
        { fullUrl: 'urn:uuid:c', resource: { resourceType: 'Composition', status: 'final', type: {}, date: '2026-01-01', author: [], title: 'IPS', section: [
          { title: 'Problèmes', code: { coding: [{ code: '11450-4' }] }, entry: [{ reference: 'urn:uuid:x' }], text: { status: 'generated', div: '<div>Des données de cette section ne vous sont pas accessibles</div>' } },
          { title: 'Allergies', code: { coding: [{ code: '48765-2' }] }, emptyReason: { coding: [{ code: 'unavailable' }] } },
        ] } },
        { fullUrl: 'urn:uuid:x', resource: { resourceType: 'Condition', subject: {}, code: { text: 'Diabète' }, onsetDateTime: '2020-01-01' } },
      ],
    };
    const sections = summarySections(bundle);
    assert.deepEqual(sections.map((s) => [s.title, s.lines.map((l) => l.text), s.withheld]), [['Problèmes', ['Diabète'], true], ['Allergies', [], false]]);
    assert.equal(isWithheld(sections), true);
    assert.deepEqual(summarySections(undefined), []);
  });

  test('reconciliation: never dispensed, refill overdue, no prescription, several pharmacies', () => {
    const now = Date.parse('2026-06-01');
    const line = (over: Partial<DrugLine>): DrugLine => ({ key: over.name ?? 'k', name: 'x', current: true, prescriptions: [], dispenses: [], lastActivity: '2026-01-01', ...over });
    const out = reconcile([
      line({ name: 'A', prescriptions: [{ id: '1' }] }),
      line({ name: 'B', prescriptions: [{ id: '2' }], dispenses: [{ id: 'd', where: 'P1' }, { id: 'e', where: 'P2' }], nextRefill: '2026-05-01' }),
      line({ name: 'C', dispenses: [{ id: 'f', where: 'P1' }] }),
      line({ name: 'D', prescriptions: [{ id: '3' }], dispenses: [{ id: 'g', where: 'P1' }], nextRefill: '2026-05-30' }),
    ], now);
    assert.deepEqual(Object.fromEntries(out.map((r) => [r.line.name, r.issues])), {
      A: ['never-dispensed'], B: ['refill-overdue', 'several-pharmacies'], C: ['no-prescription'], D: [],
    });
  });

  test('the review queue and the decision log from their Parameters', () => {
    const { total, items } = candidatesOf({ resourceType: 'Parameters', parameter: [
      { name: 'total', valueInteger: 1 },
      { name: 'candidate', part: [
        { name: 'id', valueString: '7' }, { name: 'status', valueCode: 'open' }, { name: 'patient', valueReference: { reference: 'Patient/b' } },
        { name: 'person', valueReference: { reference: 'Person/P' } }, { name: 'candidatePatient', valueReference: { reference: 'Patient/a' } },
        { name: 'weight', valueDecimal: 9.5 }, { name: 'score', valueDecimal: 0.42 },
        { name: 'field', part: [{ name: 'name', valueCode: 'given' }, { name: 'incoming', valueString: 'ana' }, { name: 'candidate', valueString: 'ana' }, { name: 'level', valueString: 'equal' }, { name: 'weight', valueDecimal: 5 }] },
        { name: 'field', part: [{ name: 'name', valueCode: 'birthDate' }, { name: 'incoming', valueString: '1990-01-02' }, { name: 'candidate', valueString: '1990-01-20' }, { name: 'level', valueString: 'two of' }, { name: 'weight', valueDecimal: -2 }] },
        { name: 'field', part: [{ name: 'name', valueCode: 'phone' }, { name: 'level', valueString: 'missing' }] },
      ] },
    ] });
    assert.equal(total, 1);
    assert.deepEqual(items[0]?.fields.map((f) => [f.name, f.verdict]), [['given', 'agree'], ['birthDate', 'disagree'], ['phone', 'missing']]);
    assert.equal(items[0]?.candidatePatient, 'Patient/a');
    assert.deepEqual(decisionsOf({ resourceType: 'Parameters', parameter: [{ name: 'decision', part: [{ name: 'seq', valueInteger: 3 }, { name: 'at', valueInstant: '2026-01-01T00:00:00Z' }, { name: 'actor', valueString: 'user:1' }, { name: 'action', valueCode: 'reject' }, { name: 'reason', valueString: 'twins' }] }] }),
      [{ seq: 3, at: '2026-01-01T00:00:00Z', actor: 'user:1', action: 'reject', reason: 'twins' }]);
  });
});
