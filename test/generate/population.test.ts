import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import type { Bundle, Observation, Patient, Resource, Slot } from '@medplum/fhirtypes';
import { conditionalReferences, directoryBundle, personBundle } from '../../src/generate/bundle.js';
import { parseNam, makeNam } from '../../src/generate/nam.js';
import { generatePopulation } from '../../src/generate/population.js';
import { NAM_SYSTEM, ATC, CVX, LOINC, SNOMED, ICD10CA } from '../../src/generate/systems.js';
import { EMERGENCY_REASONS, ENCOUNTER_TYPES, QUALIFIERS, SPECIALTY_CODES } from '../../src/generate/tables/care.js';
import { ALLERGIES, CONDITIONS } from '../../src/generate/tables/conditions.js';
import { DRUGS } from '../../src/generate/tables/medications.js';
import { DOCUMENT_TYPES, INFECTION_TESTS, LABS, SCORES, VITALS } from '../../src/generate/tables/observations.js';
import { VACCINES } from '../../src/generate/tables/vaccines.js';
import { fhirDefinitions } from '../../src/fhir/definitions.js';
import { collectReferences } from '../../src/fhir/references.js';
import { validationIssues } from '../../src/fhir/validation.js';
import { generateTestPopulation, type GeneratedTestPopulation } from '../support/population.js';

/** Codes the tables ship, by system: anything else in the output is an invented code. */
function knownCodes(): Map<string, Set<string>> {
  const known = new Map<string, Set<string>>();
  const add = (system: string, code: string) => (known.get(system) ?? known.set(system, new Set()).get(system) as Set<string>).add(code);
  for (const c of Object.values(CONDITIONS)) {
    add(SNOMED, c.snomed[0]);
    if ('icd10ca' in c && c.icd10ca) add(ICD10CA, c.icd10ca[0]);
  }
  for (const a of ALLERGIES) {
    add(SNOMED, a.substance[0]);
    for (const [code] of a.reactions) add(SNOMED, code);
  }
  for (const t of Object.values(LABS)) add(LOINC, t.loinc);
  for (const t of Object.values(INFECTION_TESTS)) add(LOINC, t.loinc);
  for (const t of [...Object.values(VITALS), ...Object.values(SCORES), ...Object.values(DOCUMENT_TYPES)]) add(LOINC, t.loinc);
  add(LOINC, '11502-2');
  for (const d of Object.values(DRUGS)) add(ATC, d.atc);
  for (const [code] of [...Object.values(SPECIALTY_CODES), ...Object.values(ENCOUNTER_TYPES), ...EMERGENCY_REASONS, ...Object.values(QUALIFIERS)]) add(SNOMED, code);
  for (const v of Object.values(VACCINES)) add(CVX, v.cvx);
  return known;
}

function codingsOf(value: unknown, out: { system: string; code: string }[] = []): { system: string; code: string }[] {
  if (Array.isArray(value)) value.forEach((v) => codingsOf(v, out));
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.system === 'string' && typeof o.code === 'string' && !('value' in o)) out.push({ system: o.system, code: o.code });
    Object.values(o).forEach((v) => codingsOf(v, out));
  }
  return out;
}

const sha = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

describe('generated population', () => {
  let pop: GeneratedTestPopulation;
  let all: Resource[];
  before(() => {
    fhirDefinitions();
    pop = generateTestPopulation({ persons: 40 });
    all = [...pop.directory, ...pop.records.flatMap((r) => r.resources)];
  });

  test('every resource passes Carnet’s R4 validation', () => {
    const failures: string[] = [];
    for (const r of all) {
      for (const i of validationIssues(r)) {
        if (i.severity === 'error' || i.severity === 'fatal') failures.push(`${r.resourceType}/${r.id}: ${i.details?.text ?? i.diagnostics}`);
      }
    }
    assert.deepEqual(failures.slice(0, 10), []);
    assert.ok(all.length > 3000);
  });

  test('every reference resolves, within the person’s record or to the directory', () => {
    const directoryKeys = new Set(pop.directory.map((r) => `${r.resourceType}/${r.id}`));
    for (const record of pop.records) {
      const keys = new Set([...directoryKeys, ...record.resources.map((r) => `${r.resourceType}/${r.id}`)]);
      for (const r of record.resources) {
        for (const ref of collectReferences(r)) assert.ok(keys.has(ref), `${r.resourceType}/${r.id} → ${ref}`);
      }
    }
    for (const r of pop.directory) for (const ref of collectReferences(r)) assert.ok(directoryKeys.has(ref), ref);
  });

  test('clinical resources refer to a Patient of one of the person’s sources, never another person’s', () => {
    for (const record of pop.records) {
      const own = new Set(record.truth.records.map((s) => s.patient));
      for (const r of record.resources) {
        for (const ref of collectReferences(r)) if (ref.startsWith('Patient/')) assert.ok(own.has(ref), `${record.person.key}: ${ref}`);
      }
    }
  });

  test('nothing is recorded after death or after the reference date, except booked appointments', () => {
    const dated = (r: Record<string, unknown>): string | undefined => {
      const period = r.period as { start?: string } | undefined;
      return (r.effectiveDateTime ?? r.occurrenceDateTime ?? r.whenHandedOver ?? r.authoredOn ?? r.issued ?? period?.start ?? (r.resourceType === 'Appointment' ? r.start : undefined)) as string | undefined;
    };
    for (const record of pop.records) {
      const last = record.truth.deceasedDate ?? pop.groundTruth.options.referenceDate;
      for (const r of record.resources) {
        const when = dated(r as unknown as Record<string, unknown>);
        if (!when || (r.resourceType === 'Appointment' && r.status === 'booked')) continue;
        // Results issued a day or two after a last blood draw are fine; care is not.
        const slack = r.resourceType === 'DiagnosticReport' || r.resourceType === 'Observation' ? 4 : 1;
        const limit = new Date(Date.parse(`${last}T00:00:00Z`) + slack * 86_400_000).toISOString().slice(0, 10);
        assert.ok(when.slice(0, 10) <= limit, `${record.person.key} ${r.resourceType} on ${when} after ${last}`);
      }
      for (const r of record.resources) {
        if (r.resourceType === 'Appointment' && r.status === 'booked') assert.equal(record.truth.deceasedDate, undefined);
      }
    }
  });

  test('codes come from the shipped tables of the systems they claim', () => {
    const known = knownCodes();
    const invented: string[] = [];
    for (const r of all) {
      for (const { system, code } of codingsOf(r)) {
        const set = known.get(system);
        if (set && !set.has(code)) invented.push(`${r.resourceType}: ${system}|${code}`);
      }
    }
    assert.deepEqual([...new Set(invented)], []);
    const lab = all.find((r): r is Observation => r.resourceType === 'Observation' && r.code.coding?.[0]?.code === '4548-4');
    assert.equal(lab?.valueQuantity?.system, 'http://unitsofmeasure.org');
  });

  test('every person has a valid NAM that encodes their name, birth date and sex', () => {
    const seen = new Set<string>();
    for (const p of pop.groundTruth.persons) {
      assert.ok(!seen.has(p.nam), 'NAMs are unique');
      seen.add(p.nam);
      const info = parseNam(p.nam, 2026);
      assert.ok(info, p.nam);
      assert.equal(info.birthDate, p.birthDate);
      assert.equal(info.sex, p.sex === 'female' ? 'F' : 'M');
      assert.equal(p.nam, makeNam({ surname: p.name.family, givenName: p.name.given[0] as string, birthDate: p.birthDate, sex: info.sex, rank: '123456789'.indexOf(p.nam.charAt(10)) + 1 }));
    }
  });

  test('the ground truth matches the source Patients and names every perturbation', () => {
    const patients = new Map(pop.records.flatMap((r) => r.resources).filter((r): r is Patient & { id: string } => r.resourceType === 'Patient').map((p) => [`Patient/${p.id}`, p]));
    let sources = 0;
    let perturbed = 0;
    for (const person of pop.groundTruth.persons) {
      assert.ok(person.records.length >= 2, `${person.key} appears in several sources`);
      assert.equal(new Set(person.records.map((s) => s.identifier.system + s.identifier.value)).size, person.records.length);
      for (const s of person.records) {
        sources++;
        const patient = patients.get(s.patient);
        assert.ok(patient, s.patient);
        assert.ok(patient.identifier?.some((i) => i.system === s.identifier.system && i.value === s.identifier.value));
        const nam = patient.identifier?.find((i) => i.system === NAM_SYSTEM)?.value;
        assert.equal(nam, s.nam);
        if (s.perturbations.includes('nam-missing')) assert.equal(nam, undefined);
        else if (s.perturbations.includes('nam-typo')) assert.notEqual(nam, person.nam);
        else if (!s.duplicate) assert.equal(nam, person.nam);
        if (s.perturbations.length > 0) perturbed++;
        if (s.perturbations.length === 0) {
          assert.equal(patient.name?.[0]?.family, person.name.family);
          assert.deepEqual(patient.name?.[0]?.given, person.name.given);
          assert.equal(patient.birthDate, person.birthDate);
        }
        if (s.perturbations.includes('day-month-swapped')) assert.notEqual(patient.birthDate, person.birthDate);
        if (s.perturbations.includes('married-name')) assert.equal(patient.name?.[0]?.family, person.name.married);
      }
    }
    assert.ok(perturbed > sources * 0.2 && perturbed < sources * 0.9, `${perturbed} of ${sources} source copies differ from the truth`);
  });

  test('the public-health truth is consistent: cases, weekly counts and the planted outbreak', () => {
    const { cases, weeklyCounts, outbreaks } = pop.groundTruth.publicHealth;
    const keys = new Set(all.map((r) => `${r.resourceType}/${r.id}`));
    let counted = 0;
    for (const byRegion of Object.values(weeklyCounts)) for (const byWeek of Object.values(byRegion)) for (const n of Object.values(byWeek)) counted += n;
    assert.equal(counted, cases.length);
    for (const c of cases) for (const ref of c.resources) assert.ok(keys.has(ref), ref);
    assert.equal(outbreaks.length, 1);
    const outbreak = outbreaks[0];
    assert.ok(outbreak);
    assert.equal(outbreak.weeks.length, 6);
    assert.equal(outbreak.cases.length, outbreak.plantedCases);
    assert.ok(outbreak.plantedCases >= 3);
    const planted = cases.filter((c) => c.planted);
    assert.equal(planted.length, outbreak.plantedCases);
    for (const c of planted) {
      assert.equal(c.condition, outbreak.condition);
      assert.equal(c.regionCode, outbreak.regionCode);
      assert.ok(outbreak.weeks.includes(c.week), c.week);
    }
    const expected = Object.values(outbreak.expectedCounts).reduce((a, b) => a + b, 0);
    assert.ok(expected >= outbreak.plantedCases);
    assert.ok(cases.some((c) => c.condition === 'influenza'), 'seasonal influenza is present');
  });

  test('sensitive categories are present and point at existing resources', () => {
    const keys = new Set(all.map((r) => `${r.resourceType}/${r.id}`));
    for (const category of ['mental-health', 'substance-use']) {
      const refs = pop.groundTruth.sensitive[category] ?? [];
      assert.ok(refs.length > 0, category);
      for (const ref of refs) assert.ok(keys.has(ref), ref);
    }
  });

  test('the same seed gives the same bytes; another seed another population', () => {
    const again = generateTestPopulation({ persons: 40 });
    assert.equal(sha(again.records.map((r) => r.resources)), sha(pop.records.map((r) => r.resources)));
    assert.equal(sha(again.directory), sha(pop.directory));
    assert.equal(sha(again.groundTruth), sha(pop.groundTruth));
    const other = generateTestPopulation({ persons: 40, seed: 'other' });
    assert.notEqual(sha(other.groundTruth.persons), sha(pop.groundTruth.persons));
  });

  test('directory identifiers are unique, so conditional creates never merge two resources', () => {
    const big = generatePopulation({ persons: 3000, seed: 'directory' });
    const seen = new Map<string, string>();
    for (const r of big.directory.resources as (Resource & { identifier?: { system?: string; value?: string }[] })[]) {
      const first = r.identifier?.[0];
      if (!first) continue;
      const key = `${r.resourceType}|${first.system}|${first.value}`;
      assert.ok(!seen.has(key), `${key} is used twice`);
      seen.set(key, r.id as string);
    }
    assert.equal(big.directory.regions.size, 15, 'every region of the demo has its institutions');
  });

  test('booked slots never overlap one another or the open slots of the same schedule', () => {
    const slots = [...pop.directory, ...pop.records.flatMap((r) => r.resources)].filter((r): r is Slot => r.resourceType === 'Slot');
    const taken = new Set<string>();
    for (const slot of slots) {
      const key = `${slot.schedule.reference}@${slot.start}`;
      assert.ok(!taken.has(key), key);
      taken.add(key);
    }
    assert.ok(slots.some((s) => s.status === 'busy') && slots.some((s) => s.status === 'free'));
  });

  test('the family doctor of the ground truth is the one the clinic’s Patient names', () => {
    const conditional = conditionalReferences(pop.directory);
    let attached = 0;
    for (const record of pop.records) {
      const doctor = record.truth.familyDoctor;
      const gmf = record.truth.records.find((s) => s.source === 'gmf' && !s.duplicate);
      const patient = record.resources.find((r): r is Patient => r.resourceType === 'Patient' && `Patient/${r.id}` === gmf?.patient);
      const gp = patient?.generalPractitioner?.[0]?.reference;
      if (!doctor) {
        assert.equal(gp, undefined);
        continue;
      }
      attached++;
      assert.equal(conditional.get(gp as string), `PractitionerRole?identifier=${doctor.system}|${doctor.value}`);
    }
    assert.ok(attached > pop.records.length / 2);
  });

  test('transaction Bundles: conditional directory, PUT records, conditional references to the directory', () => {
    const directory = directoryBundle(pop.directory);
    const conditional = directory.entry?.filter((e) => e.request?.ifNoneExist) ?? [];
    assert.ok(conditional.length > 0);
    assert.ok(conditional.every((e) => e.request?.method === 'POST' && !e.resource?.id && /^identifier=/.test(e.request.ifNoneExist ?? '')));
    const map = conditionalReferences(pop.directory);
    const bundle: Bundle = personBundle((pop.records[0] as { resources: Resource[] }).resources, map);
    assert.ok(bundle.entry?.every((e) => e.request?.method === 'PUT' && e.request.url === `${e.resource?.resourceType}/${e.resource?.id}`));
    const refs = bundle.entry?.flatMap((e) => collectReferences(e.resource)) ?? [];
    assert.ok(refs.some((r) => /^(Organization|PractitionerRole)\?identifier=/.test(r)));
    assert.ok(!refs.some((r) => /^(Organization|Practitioner|PractitionerRole)\/[0-9a-f-]+$/.test(r)), 'no literal reference to a conditionally created resource');
  });
});
