import type { Address, ContactPoint, HumanName, Identifier, Patient, Person } from '@medplum/fhirtypes';
import { isNamIdentifier, type IdentifierRules } from './record.js';

/**
 * Survivorship: the golden demographics of a Person, derived from its source records by explicit rules
 * (pure). Each element has one rule:
 *
 * - `most-trusted`: from the source with the highest trust rank, the most recently updated among equals;
 * - `most-recent`: from the most recently updated source (people move and change numbers);
 * - `most-frequent`: the value most sources agree on, trust breaking ties (a date of birth typed wrong
 *   in one clinic loses to the others);
 * - the health-insurance number always comes from an insurer source when one is linked, else by vote.
 */
export type SurvivorshipRule = 'most-trusted' | 'most-recent' | 'most-frequent';

export interface SurvivorshipRules {
  readonly name: SurvivorshipRule;
  readonly gender: SurvivorshipRule;
  readonly birthDate: SurvivorshipRule;
  readonly address: SurvivorshipRule;
  readonly telecom: SurvivorshipRule;
  /** Trust rank by source system (identifier system or meta.source); unknown sources rank 0. */
  readonly trust: Readonly<Record<string, number>>;
  /** Source systems whose NAM is authoritative (the insurer). */
  readonly insurerSources: readonly string[];
}

export const DEFAULT_SURVIVORSHIP: SurvivorshipRules = {
  name: 'most-trusted',
  gender: 'most-trusted',
  birthDate: 'most-frequent',
  address: 'most-recent',
  telecom: 'most-recent',
  trust: {},
  insurerSources: [],
};

export interface SourceRecord {
  readonly patient: Patient;
  /** The source system (see MatchRecord.source). */
  readonly source?: string;
  readonly lastUpdated: string;
}

export interface GoldenDemographics {
  readonly name?: HumanName[];
  readonly gender?: Person['gender'];
  readonly birthDate?: string;
  readonly address?: Address[];
  readonly telecom?: ContactPoint[];
  readonly nam?: Identifier;
}

function trustOf(rules: SurvivorshipRules, record: SourceRecord): number {
  return record.source ? (rules.trust[record.source] ?? 0) : 0;
}

function pick<T>(records: readonly SourceRecord[], rules: SurvivorshipRules, rule: SurvivorshipRule, value: (p: Patient) => T | undefined, key: (v: T) => string = JSON.stringify): T | undefined {
  const candidates = records
    .map((r) => ({ r, v: value(r.patient) }))
    .filter((c): c is { r: SourceRecord; v: T } => c.v !== undefined);
  if (candidates.length === 0) return undefined;
  const byTrust = (a: { r: SourceRecord }, b: { r: SourceRecord }) =>
    trustOf(rules, b.r) - trustOf(rules, a.r) || b.r.lastUpdated.localeCompare(a.r.lastUpdated) || (a.r.patient.id ?? '').localeCompare(b.r.patient.id ?? '');
  const byRecency = (a: { r: SourceRecord }, b: { r: SourceRecord }) =>
    b.r.lastUpdated.localeCompare(a.r.lastUpdated) || trustOf(rules, b.r) - trustOf(rules, a.r) || (a.r.patient.id ?? '').localeCompare(b.r.patient.id ?? '');
  if (rule === 'most-recent') return [...candidates].sort(byRecency)[0]?.v;
  if (rule === 'most-trusted') return [...candidates].sort(byTrust)[0]?.v;
  const votes = new Map<string, { v: T; count: number; best: { r: SourceRecord } }>();
  for (const c of [...candidates].sort(byTrust)) {
    const k = key(c.v);
    const entry = votes.get(k);
    if (entry) entry.count++;
    else votes.set(k, { v: c.v, count: 1, best: c });
  }
  return [...votes.values()].sort((a, b) => b.count - a.count || byTrust(a.best, b.best))[0]?.v;
}

const nonEmpty = <T>(list: T[] | undefined): T[] | undefined => (list && list.length > 0 ? list : undefined);

export function goldenDemographics(records: readonly SourceRecord[], rules: SurvivorshipRules, identifierRules: IdentifierRules): GoldenDemographics {
  const active = records.filter((r) => r.patient.active !== false);
  const pool = active.length > 0 ? active : records;
  const namOf = (p: Patient) => p.identifier?.find((i) => isNamIdentifier(i, identifierRules) && i.value);
  const insurer = pool.filter((r) => r.source && rules.insurerSources.includes(r.source));
  const nam = pick(insurer.length > 0 ? insurer : pool, rules, insurer.length > 0 ? 'most-recent' : 'most-frequent', namOf, (i) => i.value ?? '');
  const golden: Record<string, unknown> = {
    name: pick(pool, rules, rules.name, (p) => nonEmpty(p.name?.filter((n) => n.use !== 'old'))),
    gender: pick(pool, rules, rules.gender, (p) => p.gender),
    birthDate: pick(pool, rules, rules.birthDate, (p) => p.birthDate, (d) => d),
    address: pick(pool, rules, rules.address, (p) => nonEmpty(p.address?.filter((a) => a.use !== 'old'))),
    telecom: pick(pool, rules, rules.telecom, (p) => nonEmpty(p.telecom)),
    nam: nam ? { ...(nam.system ? { system: nam.system } : {}), ...(nam.type ? { type: nam.type } : {}), value: nam.value } : undefined,
  };
  return Object.fromEntries(Object.entries(golden).filter(([, v]) => v !== undefined)) as GoldenDemographics;
}
