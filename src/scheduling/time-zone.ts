/**
 * Clinic wall-clock time (pure). Carnet stores instants; clinics think in local hours, which in Québec are
 * America/Toronto's (America/Montreal is an alias of it): UTC−5, UTC−4 from the second Sunday of March to
 * the first Sunday of November. Built on Intl (the ICU time-zone data of Node), so every change of rules
 * the data knows is followed.
 */

export const CLINIC_TIME_ZONE = 'America/Toronto';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether the runtime knows this IANA zone. */
export function isTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of an instant in a zone, as if it were UTC (milliseconds). */
function wallClock(time: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(time))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year as number, (parts.month as number) - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/** The zone's offset from UTC at an instant, in minutes (−300 or −240 in Montréal). */
export function offsetMinutes(time: number, zone: string = CLINIC_TIME_ZONE): number {
  const whole = Math.floor(time / 1000) * 1000;
  return Math.round((wallClock(whole, zone) - whole) / MINUTE);
}

export interface LocalTime {
  /** YYYY-MM-DD */
  readonly date: string;
  /** Minutes after local midnight. */
  readonly minute: number;
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekday: number;
}

export function localTime(time: number, zone: string = CLINIC_TIME_ZONE): LocalTime {
  const wall = wallClock(Math.floor(time / 1000) * 1000, zone);
  const d = new Date(wall);
  return { date: d.toISOString().slice(0, 10), minute: d.getUTCHours() * 60 + d.getUTCMinutes(), weekday: d.getUTCDay() };
}

/**
 * The instant a local date and time denote. A time that does not exist (the hour skipped when clocks go
 * forward) gives undefined; a time that happens twice (the hour repeated in November) gives the first.
 */
export function zonedInstant(date: string, minuteOfDay: number, zone: string = CLINIC_TIME_ZONE): number | undefined {
  const local = Date.parse(`${date}T00:00:00Z`) + minuteOfDay * MINUTE;
  if (Number.isNaN(local)) return undefined;
  const candidates = new Set([offsetMinutes(local - DAY / 2, zone), offsetMinutes(local + DAY / 2, zone)]);
  const valid = [...candidates].map((o) => local - o * MINUTE).filter((t) => wallClock(t, zone) === local);
  return valid.length > 0 ? Math.min(...valid) : undefined;
}

/**
 * The instant of local midnight of a date and its offset when the date has no change of clocks (one
 * offset all day, the usual case: the caller converts every time of that day by subtraction), else
 * undefined (the caller converts each time with zonedInstant).
 */
export function steadyDay(date: string, zone: string = CLINIC_TIME_ZONE): { midnightUtc: number; offset: number } | undefined {
  const local = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(local)) return undefined;
  const before = offsetMinutes(local - DAY / 2, zone);
  const after = offsetMinutes(local + DAY * 1.5, zone);
  return before === after ? { midnightUtc: local - before * MINUTE, offset: before } : undefined;
}

/** The local date `n` days after `date` (calendar days, whatever the length of the day). */
export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
}

/** The weekday (0 = Sunday) of a calendar date. */
export function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** An ISO instant with the zone's offset, e.g. 2026-07-10T09:00:00-04:00: what a person reads. */
export function formatLocal(time: number, zone: string = CLINIC_TIME_ZONE): string {
  const offset = offsetMinutes(time, zone);
  const wall = new Date(time + offset * MINUTE).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${wall}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A date or instant from a request: an instant must carry its offset (Z or ±hh:mm) — a bare local time is
 * ambiguous; a date alone means local midnight in the clinic zone. Undefined when malformed or impossible
 * (2026-02-30, 25:00).
 */
export function parseWhen(text: string, zone: string = CLINIC_TIME_ZONE): number | undefined {
  const date = DATE.exec(text);
  if (date) return validDate(text) ? zonedInstant(text, 0, zone) : undefined;
  const m = INSTANT.exec(text);
  if (!m) return undefined;
  const [, , , , hh, mm, ss] = m;
  if (!validDate(text.slice(0, 10)) || Number(hh) > 23 || Number(mm) > 59 || Number(ss ?? 0) > 59) return undefined;
  const offset = m[7] as string;
  if (offset !== 'Z' && (Number(offset.slice(1, 3)) > 14 || Number(offset.slice(4, 6)) > 59)) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

function validDate(date: string): boolean {
  const time = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === date;
}
