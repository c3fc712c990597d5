import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { seedDirectory } from '../support/auth.js';

/**
 * De-identified bulk export end to end (PGlite, or PostgreSQL with DATABASE_URL): `_profile` applies the
 * profile in the stream, the k-anonymity check suppresses the persons of small classes with all their
 * resources, references stay consistent, and the manifest carries the release report.
 */
const ASYNC = { accept: 'application/fhir+json', prefer: 'respond-async' };
type Line = { resourceType: string; id: string; [k: string]: any };

describe('de-identified bulk export', () => {
  let t: TestCarnet;
  let dir: string;
  const now = new Date();

  const put = async (resource: Record<string, unknown>) => {
    const r = await t.request('PUT', `/fhir/${resource.resourceType}/${resource.id}`, { body: resource });
    assert.ok(r.status === 200 || r.status === 201, r.text);
  };

  const exportOf = async (url: string) => {
    const kick = await t.request('GET', url, { headers: ASYNC });
    assert.equal(kick.status, 202, kick.text);
    const path = String(kick.headers['content-location']).replace('http://carnet.test', '');
    await t.carnet.background.runOnce();
    const done = await t.request('GET', path);
    assert.equal(done.status, 200, done.text);
    const manifest = done.body as { output: { type: string; url: string; count: number }[]; extension?: Record<string, any> };
    const lines: Line[] = [];
    for (const file of manifest.output) {
      const r = await t.request('GET', file.url.replace('http://carnet.test', ''));
      assert.equal(r.status, 200);
      const part = r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
      assert.equal(part.length, file.count);
      lines.push(...part);
    }
    return { manifest, lines, raw: lines.map((l) => JSON.stringify(l)).join('\n') };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carnet-export-deid-'));
    t = await startTestCarnet({ clock: () => now, env: { CARNET_EXPORT_DIR: dir, CARNET_EXPORT_PAGE_SIZE: '7', CARNET_EXPORT_FILE_RESOURCES: '10', CARNET_MPI: 'off', CARNET_RESEARCH_K: '5', CARNET_RESEARCH_MAX_SUPPRESSION: '10' } });
    await seedDirectory(t);
    // 20 women born in 1970 in H2X, 5 born before the top age in H2X, and one man born in 1999 in J0A (a class of one).
    const people: [string, string, string, string][] = [
      ...Array.from({ length: 20 }, (_, i) => [`w${i}`, 'female', `1970-0${1 + (i % 9)}-1${i % 10}`, 'H2X 1K4'] as [string, string, string, string]),
      ...Array.from({ length: 5 }, (_, i) => [`o${i}`, 'female', `19${20 + i}-03-04`, 'H2X 3A1'] as [string, string, string, string]),
      ['lone', 'male', '1999-12-31', 'J0A 1B0'],
    ];
    for (const [id, gender, birthDate, postalCode] of people) {
      await put({
        resourceType: 'Patient', id, gender, birthDate, name: [{ family: `Famille-${id}`, given: ['Prénom'] }],
        identifier: [{ system: 'urn:test:nam', value: `NAM-${id}` }], telecom: [{ system: 'phone', value: `514-555-${id}` }],
        address: [{ line: [`${id} rue Principale`], city: 'Montréal', state: 'QC', postalCode, country: 'CA' }],
      });
      for (const [n, when] of [[1, '2024-01-10T08:00:00Z'], [2, '2024-02-09T08:00:00Z']] as const) {
        await put({
          resourceType: 'Observation', id: `${id}-o${n}`, status: 'final', code: { text: 'glucose' }, subject: { reference: `Patient/${id}` },
          effectiveDateTime: when, valueQuantity: { value: 5 + n, unit: 'mmol/L' }, note: [{ text: `appelé ${id} au 514-555` }],
        });
      }
    }
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the de-identified profile: identifiers gone, references consistent, dates shifted per person, small classes suppressed, a report', async () => {
    const { manifest, lines, raw } = await exportOf('/fhir/$export?_type=Patient,Observation&_profile=de-identified');
    for (const secret of ['Famille-', 'Prénom', 'NAM-', '514-555', 'rue Principale', 'Montréal', 'H2X 1K4', 'appelé', '1970-0']) assert.ok(!raw.includes(secret), secret);
    const patients = lines.filter((l) => l.resourceType === 'Patient');
    const observations = lines.filter((l) => l.resourceType === 'Observation');
    assert.equal(patients.length, 25, 'the man of a class of one is suppressed');
    assert.ok(!patients.some((p) => p.gender === 'male'));
    assert.equal(observations.length, 50, 'with all his resources');
    const ids = new Set(patients.map((p) => p.id));
    assert.ok([...ids].every((id) => /^[0-9a-f]{32}$/.test(id)));
    assert.ok(observations.every((o) => ids.has(o.subject.reference.slice('Patient/'.length))), 'every reference points at a released Patient');
    for (const p of patients) assert.equal(p.meta.security[0].code, 'ANONYED');
    const topYear = String(now.getUTCFullYear() - 90);
    const old = patients.filter((p) => p.birthDate === undefined);
    assert.equal(old.length, 5);
    assert.ok(old.every((p) => p.extension[0].valuePeriod.end === topYear && p.extension[0].valuePeriod.start === undefined), 'ages over 89 are one class');
    assert.ok(patients.filter((p) => p.birthDate).every((p) => p.birthDate === '1970' && p.address[0].postalCode === 'H2X'));
    // Each person's two observations keep their 30 days apart, and persons are shifted differently.
    const bySubject = new Map<string, string[]>();
    for (const o of observations) bySubject.set(o.subject.reference, [...(bySubject.get(o.subject.reference) ?? []), o.effectiveDateTime]);
    for (const dates of bySubject.values()) {
      const [a, b] = dates.map((d) => Date.parse(d)).sort();
      assert.equal(((b as number) - (a as number)) / 86_400_000, 30);
      // Not a search of the raw text for the true dates: a shift of −30 days legitimately lands one person's
      // second observation on the first one's true date. Each person's own dates must have moved.
      assert.notEqual(a, Date.parse('2024-01-10T08:00:00Z'), 'every date is shifted (a shift is never 0)');
    }
    assert.ok(new Set([...bySubject.values()].map((d) => d.sort()[0])).size > 1);
    const report = manifest.extension?.['urn:carnet:export:release-report'];
    assert.equal(manifest.extension?.['urn:carnet:export:profile'], 'de-identified');
    assert.equal(report.resources, 75);
    assert.deepEqual([report.removed.names, report.removed.identifiers, report.removed.telecom, report.removed.notes, report.generalised['postal-codes']], [25, 25, 25, 50, 25]);
    assert.equal(report.shifted.dates, 50);
    assert.deepEqual([report.kAnonymity.k, report.kAnonymity.reached, report.kAnonymity.suppressedPersons, report.kAnonymity.persons], [5, 5, 1, 26]);
    assert.ok(!JSON.stringify(report).includes('lone'), 'the report names no suppressed person');
  });

  test('pseudonyms: stable across one client\'s pseudonymised exports, new in every de-identified export', async () => {
    const ids = async (profile: string) => (await exportOf(`/fhir/$export?_type=Patient&_profile=${profile}`)).lines.map((l) => l.id).sort();
    assert.deepEqual(await ids('pseudonymised'), await ids('pseudonymised'));
    const [a, b] = [await ids('de-identified'), await ids('de-identified')];
    assert.equal(a.length, b.length);
    assert.ok(!a.some((id) => b.includes(id)));
  });

  test('one pseudonymous patient per MPI person: the records of one person are one Patient, every reference to either is its pseudonym', async () => {
    await t.carnet.db.query("INSERT INTO mpi_person (person_id, enterprise_id, active, created_at) VALUES ('per-w01', 'E-w01', true, now())");
    for (const p of ['w0', 'w1']) {
      await t.carnet.db.query("INSERT INTO mpi_record (patient_id, person_id, assurance, matchable, features, updated_at) VALUES ($1, 'per-w01', 'manual', true, '{}', now())", [p]);
    }
    try {
      const { lines } = await exportOf('/fhir/$export?_type=Patient,Observation&_profile=pseudonymised');
      const patients = lines.filter((l) => l.resourceType === 'Patient').map((l) => l.id as string);
      const subjects = new Set(lines.filter((l) => l.resourceType === 'Observation').map((l) => (l.subject as { reference: string }).reference));
      assert.equal(patients.length, 24, 'w0 and w1 are one person: one Patient (the man of a class of one is suppressed)');
      assert.equal(new Set(patients).size, 24);
      assert.equal(lines.filter((l) => l.resourceType === 'Observation').length, 50, 'the observations of both records');
      assert.deepEqual([...subjects].sort(), patients.map((id) => `Patient/${id}`).sort(), 'every subject is a released Patient');
    } finally {
      await t.carnet.db.query("DELETE FROM mpi_record WHERE person_id = 'per-w01'");
      await t.carnet.db.query("DELETE FROM mpi_person WHERE person_id = 'per-w01'");
    }
  });

  test('a group-level de-identified export; an unknown profile is refused before anything starts', async () => {
    await put({ resourceType: 'Group', id: 'women', type: 'person', actual: true, member: Array.from({ length: 6 }, (_, i) => ({ entity: { reference: `Patient/w${i}` } })) });
    const { lines, manifest } = await exportOf('/fhir/Group/women/$export?_type=Patient,Observation&_profile=de-identified');
    assert.equal(lines.filter((l) => l.resourceType === 'Patient').length, 6);
    assert.equal(manifest.extension?.['urn:carnet:export:release-report'].kAnonymity.reached, 6);
    const refused = await t.request('GET', '/fhir/$export?_profile=identified-please', { headers: ASYNC });
    assert.equal(refused.status, 400, refused.text);
  });
});
