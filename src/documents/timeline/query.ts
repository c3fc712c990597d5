import { CLINIC_TIME_ZONE, zonedInstant } from '../../scheduling/time-zone.js';
import { TIMELINE_CATEGORIES, type TimelineCategory, type TimelineFilter, type TimelinePosition } from './events.js';

/**
 * The parameters of `Patient/[id]/$timeline` (pure): categories, source organisations, a date range with
 * FHIR's prefixes, the page size and the keyset cursor. A parameter that cannot be understood is an
 * error the caller turns into a 400 (`TimelineQueryError`), never ignored.
 */
export const TIMELINE_DEFAULT_COUNT = 50;
export const TIMELINE_MAX_COUNT = 200;
const PARAMS = new Set(['category', 'source', 'date', '_count', '_cursor', '_language', '_format', '_pretty']);

export class TimelineQueryError extends Error {}

export interface TimelineQuery {
  readonly filter: TimelineFilter;
  readonly count: number;
  readonly after?: TimelinePosition;
}

const listOf = (query: URLSearchParams, name: string): string[] => query.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

const PARTIAL = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** The instants [start, end) a date of the request covers: a year, month or day in the clinic's zone, or one instant. */
export function dateRange(text: string, zone: string = CLINIC_TIME_ZONE): { start: number; end: number } | undefined {
  if (INSTANT.test(text)) {
    const t = Date.parse(text);
    return Number.isNaN(t) ? undefined : { start: t, end: t + 1 };
  }
  const m = PARTIAL.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = m[2] ? Number(m[2]) : undefined;
  const day = m[3] ? Number(m[3]) : undefined;
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  const first = new Date(Date.UTC(year, (month ?? 1) - 1, day ?? 1));
  if (day !== undefined && first.getUTCDate() !== day) return undefined;
  const next = new Date(first.getTime());
  if (day !== undefined) next.setUTCDate(next.getUTCDate() + 1);
  else if (month !== undefined) next.setUTCMonth(next.getUTCMonth() + 1);
  else next.setUTCFullYear(next.getUTCFullYear() + 1);
  const start = zonedInstant(first.toISOString().slice(0, 10), 0, zone);
  const end = zonedInstant(next.toISOString().slice(0, 10), 0, zone);
  return start === undefined || end === undefined ? undefined : { start, end };
}

function dateBounds(values: readonly string[]): { from?: number; to?: number } {
  let from: number | undefined;
  let to: number | undefined;
  const lower = (t: number) => { from = from === undefined ? t : Math.max(from, t); };
  const upper = (t: number) => { to = to === undefined ? t : Math.min(to, t); };
  for (const value of values) {
    const prefix = /^(ge|gt|le|lt|eq)/.exec(value)?.[1] ?? 'eq';
    const range = dateRange(value.slice(/^(ge|gt|le|lt|eq)/.test(value) ? 2 : 0));
    if (!range) throw new TimelineQueryError(`date: "${value}" is not a date (YYYY, YYYY-MM, YYYY-MM-DD or an instant with its offset, after an optional ge, gt, le, lt or eq)`);
    if (prefix === 'ge' || prefix === 'eq') lower(range.start);
    if (prefix === 'gt') lower(range.end);
    if (prefix === 'lt') upper(range.start);
    if (prefix === 'le' || prefix === 'eq') upper(range.end);
  }
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

export function encodeTimelineCursor(position: TimelinePosition): string {
  return Buffer.from(JSON.stringify({ a: position.at, k: position.key })).toString('base64url');
}

export function decodeTimelineCursor(raw: string): TimelinePosition {
  let parsed: { a?: unknown; k?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed.a !== 'number' || !Number.isFinite(parsed.a) || typeof parsed.k !== 'string' || parsed.k === '') {
    throw new TimelineQueryError('_cursor is not a cursor this server issued');
  }
  return { at: parsed.a, key: parsed.k };
}

export function parseTimelineQuery(query: URLSearchParams): TimelineQuery {
  for (const name of query.keys()) if (!PARAMS.has(name)) throw new TimelineQueryError(`$timeline does not take the parameter "${name}"`);
  const categories = listOf(query, 'category');
  for (const c of categories) {
    if (!TIMELINE_CATEGORIES.includes(c as TimelineCategory)) throw new TimelineQueryError(`category: "${c}" is not one of ${TIMELINE_CATEGORIES.join(', ')}`);
  }
  const sources = listOf(query, 'source');
  for (const s of sources) if (!/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(s)) throw new TimelineQueryError(`source: "${s}" is not a reference Organization/[id]`);
  const countRaw = query.get('_count');
  const count = countRaw === null ? TIMELINE_DEFAULT_COUNT : Number(countRaw);
  if (!Number.isInteger(count) || count < 1) throw new TimelineQueryError('_count must be a positive integer');
  const cursor = query.get('_cursor');
  const filter: TimelineFilter = {
    ...(categories.length > 0 ? { categories: new Set(categories as TimelineCategory[]) } : {}),
    ...(sources.length > 0 ? { sources: new Set(sources) } : {}),
    ...dateBounds(query.getAll('date')),
  };
  return { filter, count: Math.min(count, TIMELINE_MAX_COUNT), ...(cursor ? { after: decodeTimelineCursor(cursor) } : {}) };
}
