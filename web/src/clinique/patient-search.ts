import type { HumanName, Patient, Person } from '@medplum/fhirtypes';

/**
 * Finding a patient through the master patient index (pure): the criteria a clinician types become a
 * Patient for `Patient/$match` (which forgives accents, hyphens, Saint/St, typos and maiden names through
 * the MPI's normalisers and comparators) and a plain search (prefix of names, exact identifiers) for what
 * matching cannot block on alone (a family name only); the answers are grouped by Person — one row per
 * person with every source record the MPI linked, its organisation and the link's assurance — most likely
 * first.
 */
export const NAM_SYSTEM = 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-qc-patient-healthcare-id';

export interface Criteria {
  readonly family: string;
  readonly given: string;
  readonly birthDate: string;
  readonly nam: string;
  readonly phone: string;
}

export const EMPTY: Criteria = { family: '', given: '', birthDate: '', nam: '', phone: '' };
const FIELDS = Object.keys(EMPTY) as (keyof Criteria)[];

export function clean(criteria: Partial<Criteria>): Criteria {
  const out: Record<string, string> = {};
  for (const field of FIELDS) out[field] = (criteria[field] ?? '').trim().replace(/\s+/g, ' ');
  return out as unknown as Criteria;
}

export function isEmpty(criteria: Criteria): boolean {
  return FIELDS.every((f) => clean(criteria)[f] === '');
}

/** A NAM as the index stores it: four letters and eight digits, spaces removed, upper case. */
export function normaliseNam(nam: string): string {
  return nam.replace(/[\s-]/g, '').toUpperCase();
}

export function toQuery(criteria: Criteria): string {
  const params = new URLSearchParams();
  for (const field of FIELDS) if (criteria[field]) params.set(field, criteria[field]);
  return params.toString();
}

export function fromQuery(search: string): Criteria {
  const params = new URLSearchParams(search);
  return clean(Object.fromEntries(FIELDS.map((f) => [f, params.get(f) ?? ''])));
}

/** The Patient `$match` scores against the index (only the fields given). */
export function matchInput(criteria: Criteria): Patient {
  const c = clean(criteria);
  const name: HumanName = { ...(c.family ? { family: c.family } : {}), ...(c.given ? { given: c.given.split(' ') } : {}) };
  return {
    resourceType: 'Patient',
    ...(c.family || c.given ? { name: [name] } : {}),
    ...(/^\d{4}-\d{2}-\d{2}$/.test(c.birthDate) ? { birthDate: c.birthDate } : {}),
    ...(c.nam ? { identifier: [{ system: NAM_SYSTEM, value: normaliseNam(c.nam) }] } : {}),
    ...(c.phone ? { telecom: [{ system: 'phone', value: c.phone }] } : {}),
  };
}

/** The plain search beside `$match` (names as prefixes, accents ignored; the NAM exact). */
export function searchInput(criteria: Criteria): string {
  const c = clean(criteria);
  const params = new URLSearchParams();
  if (c.family) params.set('family', c.family);
  if (c.given) params.set('given', c.given);
  if (/^\d{4}-\d{2}-\d{2}$/.test(c.birthDate)) params.set('birthdate', c.birthDate);
  if (c.nam) params.set('identifier', `${NAM_SYSTEM}|${normaliseNam(c.nam)}`);
  if (c.phone && !c.family && !c.given && !c.nam) params.set('phone', c.phone);
  params.set('_count', '20');
  return `Patient?${params.toString()}`;
}

export interface Matched {
  readonly patient: Patient;
  /** 0–1 from `$match`; absent for a record found by the plain search only. */
  readonly score?: number;
  readonly grade?: string;
}

export interface SourceRecord {
  readonly id: string;
  readonly name: string;
  readonly birthDate?: string;
  readonly gender?: string;
  readonly organisation?: string;
  readonly assurance?: string;
  readonly matched: boolean;
  readonly active: boolean;
}

export interface PersonRow {
  readonly key: string;
  readonly personId?: string;
  readonly name: string;
  readonly birthDate?: string;
  readonly gender?: string;
  readonly nam?: string;
  readonly score?: number;
  readonly grade?: string;
  /** The record a click opens: the best-matched one. */
  readonly primary: string;
  readonly records: readonly SourceRecord[];
}

export function nameOf(patient: Patient | undefined): string {
  const names: HumanName[] = patient?.name ?? [];
  const name = names.find((n) => n.use === 'official') ?? names.find((n) => n.use !== 'old') ?? names[0];
  if (!name) return '';
  return name.text ?? [...(name.given ?? []), name.family].filter(Boolean).join(' ');
}

export function namOf(patient: Patient | undefined): string | undefined {
  return patient?.identifier?.find((i) => i.system === NAM_SYSTEM && i.use !== 'old')?.value;
}

const ref = (id: string) => `Patient/${id}`;

/**
 * One row per Person: each matched or found record joins the Person that links it (or stands alone when
 * none is visible), with every other record of that Person; rows are ordered by their best score, records
 * found by the plain search only after every scored row, then by name.
 */
export function groupByPerson(matched: readonly Matched[], persons: readonly Person[], linked: readonly Patient[]): PersonRow[] {
  const patients = new Map<string, Patient>();
  for (const p of [...linked, ...matched.map((m) => m.patient)]) if (p.id) patients.set(p.id, p);
  const best = new Map<string, Matched>();
  for (const m of matched) {
    const id = m.patient.id as string;
    const seen = best.get(id);
    if (!seen || (m.score ?? -1) > (seen.score ?? -1)) best.set(id, m);
  }
  const personOf = new Map<string, Person>();
  for (const person of persons) for (const link of person.link ?? []) {
    const target = link.target.reference;
    if (target?.startsWith('Patient/') && person.active !== false) personOf.set(target.slice(8), person);
  }
  const rows = new Map<string, { person?: Person; ids: Set<string> }>();
  for (const id of best.keys()) {
    const person = personOf.get(id);
    const key = person?.id ? `Person/${person.id}` : ref(id);
    const row = rows.get(key) ?? { ...(person ? { person } : {}), ids: new Set<string>() };
    row.ids.add(id);
    for (const link of person?.link ?? []) {
      const target = link.target.reference;
      if (target?.startsWith('Patient/') && patients.has(target.slice(8))) row.ids.add(target.slice(8));
    }
    rows.set(key, row);
  }
  const out: PersonRow[] = [];
  for (const [key, row] of rows) {
    const assurance = new Map((row.person?.link ?? []).map((l) => [l.target.reference?.replace('Patient/', '') ?? '', l.assurance]));
    const ids = [...row.ids];
    const scored = ids.map((id) => best.get(id)).filter((m): m is Matched => Boolean(m));
    const top = scored.slice().sort((a, b) => (b.score ?? -1) - (a.score ?? -1))[0] as Matched;
    const primary = patients.get(top.patient.id as string) as Patient;
    const records: SourceRecord[] = ids.map((id) => {
      const p = patients.get(id) as Patient;
      return {
        id, name: nameOf(p), matched: best.has(id), active: p.active !== false,
        ...(p.birthDate ? { birthDate: p.birthDate } : {}),
        ...(p.gender ? { gender: p.gender } : {}),
        ...(p.managingOrganization?.display ? { organisation: p.managingOrganization.display } : {}),
        ...(assurance.get(id) ? { assurance: assurance.get(id) as string } : {}),
      };
    }).sort((a, b) => Number(b.matched) - Number(a.matched) || (a.organisation ?? '').localeCompare(b.organisation ?? ''));
    const nam = ids.map((id) => namOf(patients.get(id))).find(Boolean);
    out.push({
      key, name: nameOf(primary), primary: primary.id as string, records,
      ...(row.person?.id ? { personId: row.person.id } : {}),
      ...(primary.birthDate ? { birthDate: primary.birthDate } : {}),
      ...(primary.gender ? { gender: primary.gender } : {}),
      ...(nam ? { nam } : {}),
      ...(top.score !== undefined ? { score: top.score } : {}),
      ...(top.grade ? { grade: top.grade } : {}),
    });
  }
  return out.sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || a.name.localeCompare(b.name));
}

/** Age in whole years on a day (FHIR birth dates are calendar days). */
export function ageOn(birthDate: string | undefined, now: Date): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate ?? '');
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < mo || (now.getUTCMonth() + 1 === mo && now.getUTCDate() < d)) age -= 1;
  return age;
}
