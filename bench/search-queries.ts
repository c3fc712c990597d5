import pg from 'pg';
import { seededRandom } from './stats.js';

/**
 * The clinician queries of the search benchmark, instantiated on real data: patients, codes, names and
 * identifiers sampled (with a fixed seed) from the loaded database, so every request asks for something
 * that exists.
 */
export interface QueryTemplate {
  readonly name: string;
  /** Patient-scoped with `_count` ≤ 50 (the issue's 10 ms p95 target applies). */
  readonly patientScoped: boolean;
  readonly urls: readonly string[];
}

interface Sample {
  readonly patientId: string;
  readonly family: string | null;
  readonly birthDate: string | null;
  readonly identifier: { system: string; value: string } | null;
  readonly labCode: string | null;
}

const LOINC = 'http://loinc.org';

/** Up to `n` patients with the data the templates need, picked from the database with a fixed seed. */
export async function samplePatients(url: string, n: number, seed = 42): Promise<Sample[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; content: string }>(
      `SELECT id, content FROM resource WHERE resource_type = 'Patient' AND NOT deleted ORDER BY rid LIMIT 20000`,
    );
    const random = seededRandom(seed);
    const picked = [...rows].sort(() => random() - 0.5).slice(0, n);
    const samples: Sample[] = [];
    for (const row of picked) {
      const patient = JSON.parse(row.content) as { name?: { family?: string }[]; birthDate?: string; identifier?: { system?: string; value?: string }[] };
      const mr = patient.identifier?.find((i) => i.system && i.value && !i.system.includes('synthea')) ?? patient.identifier?.find((i) => i.system && i.value);
      const lab = await client.query<{ code: string }>(
        `SELECT t.code FROM search_reference x JOIN resource r ON r.rid = x.rid AND r.resource_type = 'Observation'
           JOIN search_token t ON t.rid = r.rid AND t.param = $2 AND t.system = $3
          WHERE x.target = $1 LIMIT 1`,
        [`Patient/${row.id}`, paramKey('Observation.code'), LOINC],
      );
      samples.push({
        patientId: row.id,
        family: patient.name?.[0]?.family ?? null,
        birthDate: patient.birthDate ?? null,
        identifier: mr ? { system: mr.system as string, value: mr.value as string } : null,
        labCode: lab.rows[0]?.code ?? null,
      });
    }
    return samples;
  } finally {
    await client.end();
  }
}

/** Same key function as the server (src/fhir/search/registry.ts), kept here so the bench needs no server code. */
function paramKey(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

const q = (value: string) => encodeURIComponent(value);

export function clinicianQueries(samples: readonly Sample[]): QueryTemplate[] {
  const withLab = samples.filter((s) => s.labCode);
  const withId = samples.filter((s) => s.identifier);
  const named = samples.filter((s) => s.family);
  const born = samples.filter((s) => s.birthDate);
  return [
    { name: 'lab results by LOINC, newest first', patientScoped: true, urls: withLab.map((s) => `Observation?patient=${s.patientId}&code=${q(`${LOINC}|${s.labCode}`)}&_sort=-date&_count=50`) },
    { name: 'active medications', patientScoped: true, urls: samples.map((s) => `MedicationRequest?patient=${s.patientId}&status=active&_count=50`) },
    { name: 'conditions', patientScoped: true, urls: samples.map((s) => `Condition?patient=${s.patientId}&_count=50`) },
    { name: 'encounters in a date range', patientScoped: true, urls: samples.map((s) => `Encounter?patient=${s.patientId}&date=ge2015-01-01&date=lt2020-01-01&_sort=-date&_count=50`) },
    { name: 'allergies', patientScoped: true, urls: samples.map((s) => `AllergyIntolerance?patient=${s.patientId}&_count=50`) },
    { name: 'observations with _include patient', patientScoped: true, urls: withLab.map((s) => `Observation?patient=${s.patientId}&code=${q(`${LOINC}|${s.labCode}`)}&_include=Observation:patient&_count=50`) },
    { name: 'patient with _revinclude conditions, allergies', patientScoped: true, urls: samples.map((s) => `Patient?_id=${s.patientId}&_revinclude=Condition:patient&_revinclude=AllergyIntolerance:patient&_count=50`) },
    { name: 'patient by family name (prefix)', patientScoped: false, urls: named.map((s) => `Patient?family=${q((s.family as string).slice(0, 5))}&_count=50`) },
    { name: 'patient by identifier', patientScoped: false, urls: withId.map((s) => `Patient?identifier=${q(`${s.identifier?.system}|${s.identifier?.value}`)}`) },
    { name: 'patient by birthdate', patientScoped: false, urls: born.map((s) => `Patient?birthdate=${s.birthDate}&_count=50`) },
    { name: 'chained: observations of a patient by identifier', patientScoped: false, urls: withId.map((s) => `Observation?subject:Patient.identifier=${q(`${s.identifier?.system}|${s.identifier?.value}`)}&_count=50`) },
    { name: '$everything (first page, 200)', patientScoped: false, urls: samples.map((s) => `Patient/${s.patientId}/$everything`) },
    { name: '$everything (whole record, _count=1000)', patientScoped: false, urls: samples.map((s) => `Patient/${s.patientId}/$everything?_count=1000`) },
  ];
}
