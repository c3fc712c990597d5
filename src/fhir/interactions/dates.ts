import { errors } from '../outcomes.js';

/** Parsing of the instants and partial dates used by history parameters (pure). */

const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** `_since` is an instant; a date or partial date is accepted as its start. */
export function parseHistoryInstant(value: string, name: string): string {
  return partialDateRange(value, name).start;
}

/** The implicit range of a (partial) date or dateTime: 2024 → [2024-01-01, 2025-01-01). Times are UTC unless zoned. */
export function partialDateRange(value: string, name: string): { start: string; end: string } {
  const m = DATE_TIME.exec(value.trim());
  if (!m) throw errors.invalid(`${name} must be a FHIR date or instant (got "${value}")`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  if (h !== undefined && zone === undefined && mi !== undefined && s === undefined) {
    // hh:mm without a zone is not a valid FHIR dateTime
    throw errors.invalid(`${name} needs a time zone when a time is given (got "${value}")`);
  }
  const offsetMinutes = zone && zone !== 'Z' ? (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) : 0;
  const base = Date.UTC(year, month, day, h ? Number(h) : 0, mi ? Number(mi) : 0, s ? Number(s) : 0, frac ? Math.floor(Number(frac) * 1000) : 0);
  const start = new Date(base - offsetMinutes * 60_000);
  if (Number.isNaN(start.getTime())) throw errors.invalid(`${name} is not a valid date (got "${value}")`);
  const end = new Date(start);
  if (s !== undefined) end.setUTCMilliseconds(end.getUTCMilliseconds() + (frac ? 1 : 1000));
  else if (mi !== undefined) end.setUTCMinutes(end.getUTCMinutes() + 1);
  else if (d !== undefined) end.setUTCDate(end.getUTCDate() + 1);
  else if (mo !== undefined) end.setUTCMonth(end.getUTCMonth() + 1);
  else end.setUTCFullYear(end.getUTCFullYear() + 1);
  return { start: start.toISOString(), end: end.toISOString() };
}
