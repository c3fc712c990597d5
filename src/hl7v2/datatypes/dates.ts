import type { Hl7Location } from '../message/problems.js';
import { problem } from '../message/problems.js';

/**
 * HL7 v2 DTM/TS/DT values to FHIR date, dateTime and instant, keeping the precision that was sent and
 * refusing impossible dates (2023-02-29, 99999999). A time without a UTC offset is read in the sender's
 * time zone (FHIR requires an offset whenever a time is given).
 */

const DTM = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?(?:([+-])(\d{2})(\d{2}))?$/;

export interface DtmParts {
  readonly year: number;
  readonly month?: number;
  readonly day?: number;
  readonly hour?: number;
  readonly minute?: number;
  readonly second?: number;
  readonly fraction?: string;
  /** Offset in minutes east of UTC, when the value carries one. */
  readonly offset?: number;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Parses a DTM; throws a located data-type problem when it is not a real date/time. */
export function parseDtm(value: string, at: Hl7Location): DtmParts {
  const m = DTM.exec(value.trim());
  if (!m) throw problem.dataType(at, `"${value}" is not an HL7 date/time (YYYY[MM[DD[HHMM[SS[.S]]]]][+/-ZZZZ])`);
  const n = (i: number) => (m[i] === undefined ? undefined : Number(m[i]));
  const parts: DtmParts = {
    year: Number(m[1]),
    ...(n(2) !== undefined ? { month: n(2) } : {}),
    ...(n(3) !== undefined ? { day: n(3) } : {}),
    ...(n(4) !== undefined ? { hour: n(4) } : {}),
    ...(n(5) !== undefined ? { minute: n(5) } : {}),
    ...(n(6) !== undefined ? { second: n(6) } : {}),
    ...(m[7] !== undefined ? { fraction: m[7] } : {}),
    ...(m[8] !== undefined ? { offset: (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) } : {}),
  };
  const bad = (what: string) => problem.dataType(at, `"${value}" is not a valid date/time: ${what}`);
  if (parts.year < 1800 || parts.year > 2999) throw bad('year out of range');
  if (parts.month !== undefined && (parts.month < 1 || parts.month > 12)) throw bad('month out of range');
  if (parts.day !== undefined && (parts.day < 1 || parts.day > daysIn(parts.year, parts.month as number))) throw bad('no such day');
  if (parts.hour !== undefined && parts.hour > 23) throw bad('hour out of range');
  if (parts.minute !== undefined && parts.minute > 59) throw bad('minute out of range');
  if (parts.second !== undefined && parts.second > 59) throw bad('second out of range');
  if (parts.offset !== undefined && Math.abs(parts.offset) > 14 * 60) throw bad('UTC offset out of range');
  return parts;
}

const pad = (v: number, width = 2) => String(v).padStart(width, '0');

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset (minutes east of UTC) of an IANA time zone at a given local wall-clock time. */
export function zoneOffset(timeZone: string, p: { year: number; month: number; day: number; hour: number; minute: number }): number {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    });
    formatters.set(timeZone, fmt);
  }
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  const offsetAt = (utc: number): number => {
    const parts = Object.fromEntries(fmt.formatToParts(new Date(utc)).map((x) => [x.type, x.value]));
    const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
    return Math.round((asUtc - utc) / 60000);
  };
  // Two passes settle the offset around daylight-saving transitions.
  const first = offsetAt(wall);
  return offsetAt(wall - first * 60000);
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function datePart(p: DtmParts): string {
  let out = pad(p.year, 4);
  if (p.month !== undefined) out += `-${pad(p.month)}`;
  if (p.day !== undefined) out += `-${pad(p.day)}`;
  return out;
}

/** FHIR dateTime with the precision sent (year, month, day, or a time with seconds and offset). */
export function toDateTime(value: string, at: Hl7Location, timeZone: string): string {
  const p = parseDtm(value, at);
  if (p.hour === undefined || p.day === undefined || p.month === undefined) return datePart(p);
  const minute = p.minute ?? 0;
  const offset = p.offset ?? zoneOffset(timeZone, { year: p.year, month: p.month, day: p.day, hour: p.hour, minute });
  const fraction = p.fraction ? `.${p.fraction}` : '';
  return `${datePart(p)}T${pad(p.hour)}:${pad(minute)}:${pad(p.second ?? 0)}${fraction}${formatOffset(offset)}`;
}

/** FHIR instant: a date alone is taken as midnight in the sender's time zone. */
export function toInstant(value: string, at: Hl7Location, timeZone: string): string {
  const p = parseDtm(value, at);
  if (p.month === undefined || p.day === undefined) throw problem.dataType(at, `"${value}" is not precise enough for an instant (a day is required)`);
  const hour = p.hour ?? 0;
  const minute = p.minute ?? 0;
  const offset = p.offset ?? zoneOffset(timeZone, { year: p.year, month: p.month, day: p.day, hour, minute });
  const fraction = p.fraction ? `.${p.fraction}` : '';
  return `${datePart(p)}T${pad(hour)}:${pad(minute)}:${pad(p.second ?? 0)}${fraction}${formatOffset(offset)}`;
}

/** FHIR date (birth dates, due dates): the time part, if any, is dropped. */
export function toDate(value: string, at: Hl7Location): string {
  return datePart(parseDtm(value, at));
}
