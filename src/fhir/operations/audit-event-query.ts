import type { AuditEventCriteria } from '../../storage/audit-store.js';
import { errors } from '../outcomes.js';

/**
 * The parameters of IHE RESTful ATNA's query (ITI-81, `GET AuditEvent?…`) turned into criteria over
 * Carnet's audit trail (pure). Each occurrence of a parameter is one condition (ANDed); its comma-separated
 * values are alternatives (ORed), as FHIR search says. A parameter or modifier Carnet does not implement is
 * a 400 rather than silently ignored: an audit query that returns more than was asked is a wrong answer.
 */
export const AUDIT_EVENT_PARAMS = ['_id', 'patient', 'date', 'agent', 'agent:identifier', 'agent-name', 'address', 'entity', 'outcome', 'type', 'subtype', 'action', '_count', '_cursor', '_sort'] as const;
const IGNORED = new Set(['_format', '_pretty']);
const DEFAULT_COUNT = 50;
const MAX_COUNT = 500;

export interface AuditEventQuery extends AuditEventCriteria {
  /** The patient ids the query names (its own audit record lists them: looking at a patient's log is an access). */
  readonly namedPatients: readonly string[];
  /** How many records a page holds (the criteria's `limit` is one more, to know whether a next page exists). */
  readonly count: number;
  readonly cursor?: number;
}

const DATE = /^(eq|ge|gt|le|lt)?(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

/** The instants a date value covers at its precision: [start, end). A date without a time is taken in UTC. */
export function dateRange(value: string): { prefix: string; start: Date; end: Date } {
  const m = DATE.exec(value);
  if (!m) throw errors.invalid(`date: "${value}" is not a date, with an optional eq/ge/gt/le/lt prefix (a time needs its zone)`);
  const [, prefix = 'eq', year, month, day, hour, minute, second, fraction, zone] = m;
  const iso = `${year}-${month ?? '01'}-${day ?? '01'}T${hour ?? '00'}:${minute ?? '00'}:${second ?? '00'}${fraction ?? ''}${zone ?? 'Z'}`;
  const start = new Date(iso);
  // The calendar date as written must survive the round trip (2026-02-30 is not a day).
  const calendar = new Date(`${year}-${month ?? '01'}-${day ?? '01'}T00:00:00Z`);
  if (Number.isNaN(start.getTime()) || Number.isNaN(calendar.getTime()) || calendar.toISOString().slice(0, 10) !== `${year}-${month ?? '01'}-${day ?? '01'}`) {
    throw errors.invalid(`date: "${value}" is not a real date`);
  }
  const end = new Date(start);
  if (fraction) end.setUTCMilliseconds(end.getUTCMilliseconds() + 1);
  else if (second) end.setUTCSeconds(end.getUTCSeconds() + 1);
  else if (minute) end.setUTCMinutes(end.getUTCMinutes() + 1);
  else if (day) end.setUTCDate(end.getUTCDate() + 1);
  else if (month) end.setUTCMonth(end.getUTCMonth() + 1);
  else end.setUTCFullYear(end.getUTCFullYear() + 1);
  return { prefix, start, end };
}

function values(name: string, raw: string): string[] {
  const list = raw.split(',').map((v) => v.trim());
  if (list.some((v) => v === '')) throw errors.invalid(`${name}: an empty value`);
  return list;
}

/** `Patient/x`, a bare id, or an absolute reference ending in `Patient/x`. */
function patientId(value: string): string {
  const m = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(value) ?? /^([A-Za-z0-9\-.]{1,64})$/.exec(value);
  if (!m) throw errors.invalid(`patient: "${value}" is not a Patient reference`);
  return m[1] as string;
}

function reference(name: string, value: string): string {
  if (!/^(?:https?:\/\/\S+\/)?[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.test(value)) {
    throw errors.invalid(`${name}: "${value}" is not a reference Type/id`);
  }
  return value;
}

/** A token `system|code`, `|code` (no system) or `code`. */
function token(value: string): { system?: string | null; code: string } {
  const bar = value.indexOf('|');
  if (bar < 0) return { code: value };
  const code = value.slice(bar + 1);
  if (!code) throw errors.invalid(`"${value}": a token needs a code`);
  return { system: bar === 0 ? null : value.slice(0, bar), code };
}

function coding(value: string): Record<string, string> {
  const t = token(value);
  // `|code` asks for a coding without a system; JSON containment cannot say "absent", so it matches on the code.
  return t.system ? { system: t.system, code: t.code } : { code: t.code };
}

interface Building {
  ids?: string[];
  patients: string[][];
  since?: Date;
  until?: Date;
  outcomes: string[][];
  contains: string[][];
  agentNames: string[][];
  addresses: string[][];
}

function addDate(into: Building, value: string): void {
  const { prefix, start, end } = dateRange(value);
  const later = (a: Date | undefined, b: Date): Date => (a && a > b ? a : b);
  const earlier = (a: Date | undefined, b: Date): Date => (a && a < b ? a : b);
  if (prefix === 'eq' || prefix === 'ge') into.since = later(into.since, start);
  if (prefix === 'gt') into.since = later(into.since, end);
  if (prefix === 'eq' || prefix === 'le') into.until = earlier(into.until, end);
  if (prefix === 'lt') into.until = earlier(into.until, start);
}

function addParameter(into: Building, name: string, raw: string): void {
  const json = (doc: unknown): string => JSON.stringify(doc);
  const list = values(name, raw);
  switch (name) {
    case '_id': into.ids = [...(into.ids ?? []), ...list]; return;
    case 'patient': into.patients.push(list.map(patientId)); return;
    case 'date':
      if (list.length > 1) throw errors.invalid('date: one value per parameter (repeat it for a range: date=ge…&date=le…)');
      addDate(into, raw);
      return;
    case 'agent': into.contains.push(list.map((v) => json({ agent: [{ who: { reference: reference(name, v) } }] }))); return;
    case 'agent:identifier': into.contains.push(list.map((v) => {
      const t = token(v);
      return json({ agent: [{ who: { identifier: { ...(t.system ? { system: t.system } : {}), value: t.code } } }] });
    })); return;
    case 'agent-name': into.agentNames.push(list); return;
    case 'address': into.addresses.push(list); return;
    case 'entity': into.contains.push(list.map((v) => json({ entity: [{ what: { reference: reference(name, v) } }] }))); return;
    case 'outcome': into.outcomes.push(list.map((v) => {
      const code = token(v).code;
      if (!/^(0|4|8|12)$/.test(code)) throw errors.invalid('outcome: 0 (success), 4 (minor failure), 8 (serious failure) or 12 (major failure)');
      return code;
    })); return;
    case 'type': into.contains.push(list.map((v) => json({ type: coding(v) }))); return;
    case 'subtype': into.contains.push(list.map((v) => json({ subtype: [coding(v)] }))); return;
    case 'action': into.contains.push(list.map((v) => {
      if (!/^[CRUDE]$/.test(v)) throw errors.invalid('action: C, R, U, D or E');
      return json({ action: v });
    })); return;
  }
}

export function parseAuditEventQuery(query: URLSearchParams): AuditEventQuery {
  const into: Building = { patients: [], outcomes: [], contains: [], agentNames: [], addresses: [] };
  for (const [name, raw] of query) {
    if (IGNORED.has(name) || name === '_count' || name === '_cursor') continue;
    if (name === '_sort') {
      if (raw !== '-date') throw errors.invalid('_sort: the audit trail is served newest first (-date) only');
      continue;
    }
    if (!(AUDIT_EVENT_PARAMS as readonly string[]).includes(name)) {
      throw errors.invalid(`AuditEvent search does not take "${name}"; it takes ${AUDIT_EVENT_PARAMS.join(', ')}`);
    }
    addParameter(into, name, raw);
  }
  const countText = query.get('_count');
  const count = countText === null ? DEFAULT_COUNT : Number(countText);
  if (!Number.isInteger(count) || count < 1) throw errors.invalid('_count must be a positive integer');
  const cursorText = query.get('_cursor');
  if (cursorText !== null && !/^\d{1,15}$/.test(cursorText)) throw errors.invalid('_cursor is not a cursor this server gave');
  const page = Math.min(count, MAX_COUNT);
  return {
    ...(into.ids ? { ids: into.ids } : {}),
    patients: into.patients, outcomes: into.outcomes, contains: into.contains, agentNames: into.agentNames, addresses: into.addresses,
    ...(into.since ? { since: into.since.toISOString() } : {}),
    ...(into.until ? { until: into.until.toISOString() } : {}),
    ...(cursorText !== null ? { beforeId: Number(cursorText), cursor: Number(cursorText) } : {}),
    namedPatients: [...new Set(into.patients.flat())],
    count: page,
    limit: page + 1,
  };
}
