/**
 * The implicit range of FHIR dates, dateTimes and instants (pure). A value stands for every instant its
 * precision covers, as a half-open range [start, end): `2024` → [2024-01-01T00:00Z, 2025-01-01T00:00Z).
 * Values without a time zone (dates, partial dates) are read in UTC.
 */
export interface InstantRange {
  /** ISO instant, or `-infinity`. */
  readonly start: string;
  /** ISO instant (exclusive), or `infinity`. */
  readonly end: string;
}

const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** Parses a date, partial date, dateTime or instant; undefined when it is not one. */
export function dateRange(value: string): InstantRange | undefined {
  const m = DATE_TIME.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  if (h !== undefined && zone === undefined) return undefined; // a time needs a zone in FHIR
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  if (month > 11 || day < 1 || day > 31) return undefined;
  const offsetMinutes = zone && zone !== 'Z' ? (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) : 0;
  const millis = frac ? Number(frac.slice(1, 4).padEnd(3, '0')) : 0;
  const base = Date.UTC(Number(y), month, day, h ? Number(h) : 0, mi ? Number(mi) : 0, s ? Number(s) : 0, millis);
  const start = new Date(base - offsetMinutes * 60_000);
  if (Number.isNaN(start.getTime())) return undefined;
  if (d && new Date(Date.UTC(Number(y), month, day)).getUTCDate() !== day) return undefined; // 2023-02-30
  const end = new Date(start);
  if (frac !== undefined) end.setUTCMilliseconds(end.getUTCMilliseconds() + 10 ** Math.max(0, 3 - (frac.length - 1)));
  else if (s !== undefined) end.setUTCSeconds(end.getUTCSeconds() + 1);
  else if (mi !== undefined) end.setUTCMinutes(end.getUTCMinutes() + 1);
  else if (d !== undefined) end.setUTCDate(end.getUTCDate() + 1);
  else if (mo !== undefined) end.setUTCMonth(end.getUTCMonth() + 1);
  else end.setUTCFullYear(end.getUTCFullYear() + 1);
  return { start: start.toISOString(), end: end.toISOString() };
}

/** A Period's range: from the start of `start` to the end of `end`; a missing end is open. */
export function periodRange(start: string | undefined, end: string | undefined): InstantRange | undefined {
  const s = start ? dateRange(start) : undefined;
  const e = end ? dateRange(end) : undefined;
  if ((start && !s) || (end && !e) || (!s && !e)) return undefined;
  return { start: s?.start ?? '-infinity', end: e?.end ?? 'infinity' };
}
