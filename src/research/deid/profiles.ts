/**
 * The de-identification profiles `$export?_profile=` accepts, as data (docs/research.md describes each
 * rule). A profile is versioned: the version is written in every release report, so a release can be
 * traced to the rules that made it.
 */
export interface DeidProfile {
  readonly name: string;
  readonly version: string;
  readonly title: string;
  /**
   * Whose key makes the pseudonyms and the date shifts: `export` — a key of this export alone (two exports
   * cannot be linked); `project` — the key of the client's project, stable across its exports.
   */
  readonly keyScope: 'export' | 'project';
  /** Birth dates: `year` — the year of the true date; `shifted-year` — the year of the shifted date. */
  readonly birthDate: 'year' | 'shifted-year';
  /** Every other date, dateTime and instant is shifted per person by at most this many days (never 0). */
  readonly maxShiftDays: number;
  /** Ages above this are released as "this age or more" (birth years top-coded, Age values capped). */
  readonly topAge: number;
  /** Characters of a postal code kept (3: the forward sortation area, FSA). */
  readonly postalPrefix: number;
  /** Free text (narratives, notes, strings that are not codes' words, document texts) is kept only if true. */
  readonly keepFreeText: boolean;
}

export const DEIDENTIFIED: DeidProfile = {
  name: 'de-identified', version: '1', title: 'De-identified (Safe Harbor adapted to Québec)',
  keyScope: 'export', birthDate: 'year', maxShiftDays: 182, topAge: 89, postalPrefix: 3, keepFreeText: false,
};

export const PSEUDONYMISED: DeidProfile = {
  name: 'pseudonymised', version: '1', title: 'Pseudonymised (keyed pseudonyms and date shifts per project)',
  keyScope: 'project', birthDate: 'shifted-year', maxShiftDays: 182, topAge: 89, postalPrefix: 3, keepFreeText: false,
};

const PROFILES: ReadonlyMap<string, DeidProfile> = new Map([DEIDENTIFIED, PSEUDONYMISED].map((p) => [p.name, p]));

/** The names `_profile` accepts. */
export const PROFILE_NAMES: ReadonlySet<string> = new Set(PROFILES.keys());

export function profileNamed(name: string): DeidProfile | undefined {
  return PROFILES.get(name);
}
