import type { HumanName, Identifier, Patient } from '@medplum/fhirtypes';
import {
  joinedName, nameTokens, splitSuffix, suffixOf, normaliseDate, normaliseEmail, normaliseIdentifier, normalisePhone, normalisePostalCode,
  normaliseText, withoutParticles,
} from './normalise.js';
import { NAM_SYSTEM } from '../fhir/code-systems.js';

export { NAM_SYSTEM };

/**
 * What the matcher knows of one source record: normalised demographics only. It is what the match index
 * stores (as JSON) and what comparators read, so scoring never touches FHIR resources.
 */
export interface MatchRecord {
  readonly id: string;
  /** The source system that registered the record (the system of its own identifier), when known. */
  readonly source?: string;
  /** Given-name tokens in order: "Marie-Ève Josée" → ["marie", "eve", "josee"]. */
  readonly given: readonly string[];
  /** Every family name the record carries (official, birth/maiden, married…), each as its tokens. */
  readonly family: readonly (readonly string[])[];
  /** Generation suffix, canonical: "sr" (Sr, père), "jr" (Jr, fils, II), "iii", "iv". */
  readonly suffix?: string;
  /** YYYY-MM-DD. */
  readonly birthDate?: string;
  readonly sex?: string;
  readonly postalCode?: string;
  readonly phone?: string;
  /** The health-insurance number (NAM in Québec), or any national identifier configured as such. */
  readonly nam?: string;
  readonly city?: string;
  readonly street?: string;
  readonly email?: string;
}

/** Identifier systems and type codes that hold the health-insurance number. */
export interface IdentifierRules {
  readonly namSystems: readonly string[];
  /** Identifier type codes (v2-0203) meaning a jurisdictional health number. */
  readonly namTypeCodes: readonly string[];
}

/** Pan-Canadian naming system of the Québec health card number (NAM), and the v2 type for one. */
export const DEFAULT_IDENTIFIER_RULES: IdentifierRules = { namSystems: [NAM_SYSTEM], namTypeCodes: ['JHN'] };

export function isNamIdentifier(identifier: Identifier, rules: IdentifierRules): boolean {
  if (identifier.system && rules.namSystems.includes(identifier.system)) return true;
  return Boolean(identifier.type?.coding?.some((c) => c.code && rules.namTypeCodes.includes(c.code)));
}

/** The name used for matching: official first, then usual, then any. */
function rankedNames(names: readonly HumanName[]): HumanName[] {
  const rank = (n: HumanName) => (n.use === 'official' ? 0 : n.use === 'usual' || n.use === undefined ? 1 : n.use === 'maiden' ? 3 : 2);
  return names.filter((n) => n.use !== 'old' || names.length === 1).sort((a, b) => rank(a) - rank(b));
}

function givenTokens(name: HumanName | undefined): string[] {
  if (!name) return [];
  if (name.given?.length) return name.given.flatMap((g) => nameTokens(g));
  return [];
}

function familyOf(name: HumanName): string[] | undefined {
  const tokens = nameTokens(name.family);
  return tokens.length > 0 ? tokens : undefined;
}

/** The suffix in HumanName.suffix ("Jr.", "fils", "III"), canonical. */
function declaredSuffix(names: readonly HumanName[]): string | undefined {
  for (const name of names) {
    for (const s of name.suffix ?? []) {
      const found = nameTokens(s).map(suffixOf).find(Boolean);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Given and family tokens with generation suffixes taken out of them ("Jean Jr", "Tremblay fils"): the
 * suffix is compared on its own, so that a suffix written in one source only costs nothing while Jr
 * against Sr separates a son from his father.
 */
export function namesWithSuffix(given: readonly string[], families: readonly (readonly string[])[], declared?: string): {
  given: string[]; family: string[][]; suffix?: string;
} {
  let suffix = declared;
  const g = splitSuffix(given);
  suffix ??= g.suffix;
  const family = families.map((f) => {
    const split = splitSuffix(f);
    suffix ??= split.suffix;
    return split.tokens;
  });
  return { given: g.tokens, family, ...(suffix ? { suffix } : {}) };
}

/** Builds the match record of a FHIR Patient (pure). */
export function matchRecordOf(patient: Patient, rules: IdentifierRules = DEFAULT_IDENTIFIER_RULES): MatchRecord {
  const names = rankedNames(patient.name ?? []);
  const given = givenTokens(names.find((n) => n.given?.length));
  const families: string[][] = [];
  for (const name of names) {
    const family = familyOf(name);
    if (family && !families.some((f) => f.join('') === family.join(''))) families.push(family);
  }
  const identifiers = patient.identifier ?? [];
  const nam = identifiers.find((i) => isNamIdentifier(i, rules));
  const own = identifiers.find((i) => !isNamIdentifier(i, rules) && i.system && i.use !== 'old');
  const address = (patient.address ?? []).find((a) => a.use !== 'old') ?? patient.address?.[0];
  const phone = (patient.telecom ?? []).find((t) => t.system === 'phone' && t.value);
  const email = (patient.telecom ?? []).find((t) => t.system === 'email' && t.value);
  const parts = namesWithSuffix(given, families, declaredSuffix(names));
  const record: Record<string, unknown> = {
    id: patient.id ?? '',
    source: own?.system ?? patient.meta?.source,
    given: parts.given,
    family: parts.family,
    suffix: parts.suffix,
    birthDate: normaliseDate(patient.birthDate),
    sex: patient.gender === 'unknown' ? undefined : patient.gender,
    postalCode: normalisePostalCode(address?.postalCode),
    phone: normalisePhone(phone?.value),
    nam: normaliseIdentifier(nam?.value),
    city: normaliseText(address?.city),
    street: normaliseText(address?.line?.join(' ')),
    email: normaliseEmail(email?.value),
  };
  return compact(record) as unknown as MatchRecord;
}

/** Drops undefined and empty values so that the stored JSON stays small. */
export function compact(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined || value === null || value === '') continue;
    out[key] = value;
  }
  return out;
}

/**
 * The ways a record's family name may be written: "De La Fontaine" → delafontaine, fontaine; a name in
 * Saint/Sainte also glued in its short form, as some systems store it ("Saint-Pierre" → stpierre).
 */
export function familyForms(record: MatchRecord): string[] {
  const forms = new Set<string>();
  for (const tokens of record.family) {
    forms.add(tokens.join(''));
    forms.add(withoutParticles(tokens).join(''));
    const first = tokens[0];
    if (tokens.length > 1 && (first === 'saint' || first === 'sainte')) forms.add(`${first === 'saint' ? 'st' : 'ste'}${tokens.slice(1).join('')}`);
  }
  return [...forms];
}

/** Every single part of every family name (compound and double-barrelled names split). */
export function familyParts(record: MatchRecord): string[] {
  return [...new Set(record.family.flatMap((tokens) => withoutParticles(tokens)).filter((t) => t.length > 1))];
}

export function givenJoined(record: MatchRecord): string {
  return record.given.join('');
}

export { joinedName };
