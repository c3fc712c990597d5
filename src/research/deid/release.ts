import type { Queryable } from '../../storage/database.js';
import { personRecords } from '../../storage/consent-store.js';
import { readPage, type ScannedRow, type ScanScope } from '../export/scan.js';
import { classKey, generalise, LADDER, planK, quasiIdentifiers, type KPlan, type Level, type QuasiIdentifiers } from './kanon.js';
import { pseudonym, releaseKey, shiftDays, type ReleaseKey } from './keys.js';
import { profileNamed, type DeidProfile } from './profiles.js';
import { walkResource, type Counts, type WalkContext } from './walk.js';

/**
 * A de-identified release inside an export job: before the first line, the k-anonymity plan (a pass over
 * the Patients the export releases, in pages); then each line through the profile. The plan and the
 * counts of what was done are kept in the export's row (the counts in the same transaction as each
 * checkpoint), so an export resumed in another process releases the same thing and reports it exactly.
 */
export interface ReleaseState {
  readonly profile: string;
  readonly version: string;
  /** undefined when the export releases no Patient (no quasi-identifier is released). */
  readonly plan?: KPlan;
  /** Every source record of the suppressed persons (internal: never in the report the client reads). */
  readonly suppressedRecords: readonly string[];
  readonly counts: Counts;
}

export interface ReleaseSettings {
  readonly secret: string;
  readonly k: number;
  /** Share of the released persons that may be suppressed at a level before the next one is tried. */
  readonly maxSuppressed: number;
  readonly pageSize: number;
}

export interface Release {
  readonly state: ReleaseState;
  apply(resource: Record<string, unknown>, row: ScannedRow): { resource: Record<string, unknown> | undefined; counts: Counts };
  /** The state to store with a checkpoint, once lines with these counts are committed. */
  commit(counts: Counts): ReleaseState;
  /** The release report of the manifest (what was removed, shifted, generalised, suppressed; the k reached). */
  report(): unknown;
}

export interface ReleaseInput {
  readonly exportId: string;
  readonly profileName: string;
  readonly clientId: string;
  readonly project?: string;
  readonly transactionTime: string;
  readonly stored: unknown;
  /** The scope the export reads Patients with, if it releases them. */
  readonly patientScope?: ScanScope;
  readonly now: Date;
  readonly signal: AbortSignal;
}

/** The key scope: one export (de-identified), or the client's project (pseudonymised). */
export function keyScopeOf(profile: DeidProfile, input: Pick<ReleaseInput, 'exportId' | 'clientId' | 'project'>): string {
  if (profile.keyScope === 'export') return `export:${input.exportId}`;
  return input.project ? `project:${input.project}` : `client:${input.clientId}`;
}

function personKeyOf(row: ScannedRow, resource: Record<string, unknown>): string {
  return row.personId ?? row.patientId ?? `${String(resource.resourceType)}/${String(resource.id)}`;
}

/**
 * The row's keyed hashes. The row's own patient is pseudonymised as its MPI Person (the Patient resource and
 * every reference to it), so the records one person has at several sources are one pseudonymous patient in
 * the release; the scan releases one Patient resource per Person (research/export/scan.ts).
 */
function contextFor(profile: DeidProfile, key: ReleaseKey, row: ScannedRow, resource: Record<string, unknown>): WalkContext {
  const self = row.patientId ?? (resource.resourceType === 'Patient' ? String(resource.id) : undefined);
  return {
    profile, shift: shiftDays(key, personKeyOf(row, resource), profile.maxShiftDays),
    pseudonym: (t, i) => (t === 'Patient' && row.personId && i === self ? pseudonym(key, 'Person', row.personId) : pseudonym(key, t, i)),
  };
}

/**
 * A 52-bit hash (two FNV-1a words) of a person in a class, for counting the persons the MPI links to
 * several records once: a collision (about 1 in 10,000 at a million persons) makes a class look smaller,
 * never larger, so the check stays safe.
 */
function personHash(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}

async function eachPatient(q: Queryable, input: ReleaseInput, pageSize: number, visit: (row: ScannedRow, resource: Record<string, unknown>) => void): Promise<void> {
  const scope = input.patientScope as ScanScope;
  for (const phase of [0, 1] as const) {
    for (let after = '0'; ;) {
      if (input.signal.aborted) throw new Error(`export stopped: ${String(input.signal.reason)}`);
      const rows = await readPage(q, 'Patient', phase, after, pageSize, scope, input.now);
      if (rows.length === 0) break;
      for (const row of rows) visit(row, JSON.parse(row.content) as Record<string, unknown>);
      after = (rows[rows.length - 1] as ScannedRow).rid;
    }
  }
}

export function topYearOf(profile: DeidProfile, transactionTime: string): number {
  return new Date(transactionTime).getUTCFullYear() - (profile.topAge + 1);
}

/** The k-anonymity plan: persons counted by class (each person once per class), then the suppressed records. */
async function planOf(q: Queryable, input: ReleaseInput, profile: DeidProfile, key: ReleaseKey, settings: ReleaseSettings): Promise<{ plan: KPlan; suppressed: string[] }> {
  const topYear = topYearOf(profile, input.transactionTime);
  const persons = new Map<string, { qi: QuasiIdentifiers; n: number }>();
  const seen = new Set<number>();
  const qiOf = (row: ScannedRow, resource: Record<string, unknown>) => quasiIdentifiers(walkResource(resource, contextFor(profile, key, row, resource), {}) ?? {});
  await eachPatient(q, input, settings.pageSize, (row, resource) => {
    const qi = qiOf(row, resource);
    const key0 = classKey(qi, LADDER[0] as Level, topYear);
    // A record the MPI links to no Person is a person of its own; a Person's records count once per class.
    if (row.personId) {
      const person = personHash(`${key0}\u0000${row.personId}`);
      if (seen.has(person)) return;
      seen.add(person);
    }
    const entry = persons.get(key0);
    if (entry) entry.n++;
    else persons.set(key0, { qi, n: 1 });
  });
  const plan = planK(persons, settings.k, settings.maxSuppressed, topYear);
  if (plan.suppressedClasses.length === 0) return { plan, suppressed: [] };
  const small = new Set(plan.suppressedClasses);
  const level = LADDER[plan.level] as Level;
  const records: string[] = [];
  await eachPatient(q, input, settings.pageSize, (row, resource) => {
    if (small.has(classKey(qiOf(row, resource), level, topYear))) records.push(row.patientId ?? String(resource.id));
  });
  return { plan, suppressed: await personRecords(q, records) };
}

function add(into: Counts, counts: Counts): Counts {
  const out = { ...into };
  for (const [k, n] of Object.entries(counts)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/** Prepares the release of one export attempt: the stored plan, or a new one (then stored by the caller). */
export async function prepareRelease(q: Queryable, input: ReleaseInput, settings: ReleaseSettings): Promise<Release> {
  const profile = profileNamed(input.profileName);
  if (!profile) throw new Error(`unknown de-identification profile ${input.profileName}`);
  const keyScope = keyScopeOf(profile, input);
  const key = releaseKey(settings.secret, keyScope);
  let state = input.stored as ReleaseState | null;
  if (!state || state.profile !== profile.name) {
    const planned = input.patientScope ? await planOf(q, input, profile, key, settings) : undefined;
    state = { profile: profile.name, version: profile.version, ...(planned ? { plan: planned.plan } : {}), suppressedRecords: planned?.suppressed ?? [], counts: {} };
  }
  const topYear = topYearOf(profile, input.transactionTime);
  const plan = state.plan;
  return {
    state,
    apply(resource, row) {
      const counts: Counts = {};
      let out = walkResource(resource, contextFor(profile, key, row, resource), counts);
      if (out?.resourceType === 'Patient') {
        const level = LADDER[plan?.level ?? 0] as Level;
        const g = generalise(out, level, topYear);
        out = g.patient;
        if (g.generalised) counts['generalised.k-anonymity'] = 1;
      }
      counts.resources = 1;
      return { resource: out, counts };
    },
    commit(counts) {
      state = { ...(state as ReleaseState), counts: add((state as ReleaseState).counts, counts) };
      return state;
    },
    report() {
      const s = state as ReleaseState;
      const group = (prefix: string) => Object.fromEntries(Object.entries(s.counts).filter(([k]) => k.startsWith(prefix)).map(([k, n]) => [k.slice(prefix.length), n]));
      return {
        profile: profile.name, version: profile.version, title: profile.title,
        keys: profile.keyScope === 'export' ? 'this export only' : keyScope.startsWith('project:') ? 'the project' : 'the client (no project)',
        resources: s.counts.resources ?? 0,
        removed: group('removed.'), shifted: { ...group('shifted.'), maxDays: profile.maxShiftDays }, generalised: group('generalised.'),
        pseudonymised: group('pseudonymised.'),
        kAnonymity: plan
          ? { k: plan.k, reached: plan.kReached ?? null, level: (LADDER[plan.level] as Level).description, persons: plan.persons, classes: plan.classes, suppressedPersons: plan.suppressedPersons }
          : { k: settings.k, reached: null, note: 'no Patient released: no quasi-identifier is released' },
      };
    },
  };
}
