/**
 * Per-sender overrides of the declarative mapping tables. A profile is plain data (read from the file named
 * by CARNET_HL7_SENDERS); `resolveProfile` merges the global defaults with the entry of one sender.
 */
export interface SenderProfileInput {
  /** Which sender this entry is for: MSH-3 and/or MSH-4 (namespace id or universal id). */
  readonly application?: string;
  readonly facility?: string;
  /** IANA time zone for times sent without a UTC offset. */
  readonly timezone?: string;
  /** Assigning authority (namespace id or universal id) → identifier system URI. */
  readonly assigningAuthorities?: Readonly<Record<string, string>>;
  /** Coding system name (CWE.3, e.g. `99LAB`) → code system URI. */
  readonly codingSystems?: Readonly<Record<string, string>>;
  /** OBX-6 unit as sent → UCUM code. */
  readonly units?: Readonly<Record<string, string>>;
  /** Value tables (see `tables.ts`) whose entries are replaced or extended for this sender. */
  readonly tables?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Field rules: `Resource.element` → field (e.g. `"Observation.effectiveDateTime": "OBX-19"`). */
  readonly fields?: Readonly<Record<string, string>>;
  /** Which PID-3 identifier type (CX.5) identifies the patient for this sender (default: MR, else the first). */
  readonly patientIdentifierType?: string;
}

export interface SenderProfile {
  readonly timezone: string;
  readonly assigningAuthorities: Readonly<Record<string, string>>;
  readonly codingSystems: Readonly<Record<string, string>>;
  readonly units: Readonly<Record<string, string>>;
  readonly tables: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly fields: Readonly<Record<string, string>>;
  readonly patientIdentifierType: string;
}

export interface SendersFile {
  readonly defaults?: SenderProfileInput;
  readonly senders?: readonly SenderProfileInput[];
}

export function defaultTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function merge(base: SenderProfile, input: SenderProfileInput | undefined): SenderProfile {
  if (!input) return base;
  const tables: Record<string, Readonly<Record<string, string>>> = { ...base.tables };
  for (const [name, entries] of Object.entries(input.tables ?? {})) tables[name] = { ...(tables[name] ?? {}), ...entries };
  return {
    timezone: input.timezone ?? base.timezone,
    assigningAuthorities: { ...base.assigningAuthorities, ...input.assigningAuthorities },
    codingSystems: { ...base.codingSystems, ...input.codingSystems },
    units: { ...base.units, ...input.units },
    tables,
    fields: { ...base.fields, ...input.fields },
    patientIdentifierType: input.patientIdentifierType ?? base.patientIdentifierType,
  };
}

export function baseProfile(timezone = defaultTimezone()): SenderProfile {
  return { timezone, assigningAuthorities: {}, codingSystems: {}, units: {}, tables: {}, fields: {}, patientIdentifierType: 'MR' };
}

/** The profile for one sender: defaults, then the most specific matching entry (application and facility beat either alone). */
export function resolveProfile(file: SendersFile, sender: { application: string; facility: string }, timezone?: string): SenderProfile {
  const withDefaults = merge(baseProfile(timezone), file.defaults);
  const matches = (file.senders ?? []).filter(
    (s) => (s.application === undefined || s.application === sender.application) && (s.facility === undefined || s.facility === sender.facility)
      && (s.application !== undefined || s.facility !== undefined),
  );
  const score = (s: SenderProfileInput) => (s.application !== undefined ? 1 : 0) + (s.facility !== undefined ? 1 : 0);
  const best = matches.sort((a, b) => score(a) - score(b));
  return best.reduce(merge, withDefaults);
}

/** Checks the shape of a senders file; returns a list of problems (empty when usable). */
export function checkSendersFile(value: unknown): string[] {
  const problems: string[] = [];
  if (!value || typeof value !== 'object' || Array.isArray(value)) return ['the senders file must hold a JSON object { defaults, senders }'];
  const file = value as Record<string, unknown>;
  const entries: [string, unknown][] = [['defaults', file.defaults], ...((Array.isArray(file.senders) ? file.senders : []) as unknown[]).map((s, i): [string, unknown] => [`senders[${i}]`, s])];
  if (file.senders !== undefined && !Array.isArray(file.senders)) problems.push('"senders" must be an array');
  const maps = ['assigningAuthorities', 'codingSystems', 'units', 'fields'];
  for (const [where, entry] of entries) {
    if (entry === undefined) continue;
    if (!entry || typeof entry !== 'object') {
      problems.push(`${where} must be an object`);
      continue;
    }
    const e = entry as Record<string, unknown>;
    if (where !== 'defaults' && e.application === undefined && e.facility === undefined) problems.push(`${where} names neither application nor facility`);
    for (const key of maps) {
      const m = e[key];
      if (m !== undefined && (typeof m !== 'object' || m === null || Object.values(m).some((v) => typeof v !== 'string'))) problems.push(`${where}.${key} must map strings to strings`);
    }
    if (e.timezone !== undefined) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: String(e.timezone) });
      } catch {
        problems.push(`${where}.timezone "${String(e.timezone)}" is not an IANA time zone`);
      }
    }
    for (const [path, field] of Object.entries((e.fields ?? {}) as Record<string, unknown>)) {
      if (!/^[A-Z][A-Za-z]+\.[A-Za-z[\]]+$/.test(path) || !/^[A-Z][A-Z0-9]{2}-\d+$/.test(String(field))) problems.push(`${where}.fields: "${path}": "${String(field)}" must look like "Observation.effectiveDateTime": "OBX-19"`);
    }
  }
  return problems;
}
