/**
 * Calendar arithmetic for the generator (pure). A day is an integer count of days since 1970-01-01;
 * times are local to Québec (America/Toronto rules: UTC−5, UTC−4 from the second Sunday of March to the
 * first Sunday of November), written with their offset as source systems in Québec write them.
 */
export type Day = number;

const MS_PER_DAY = 86_400_000;

export function dayOf(date: string): Day {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (!match) throw new Error(`not a date: ${date}`);
  return Math.floor(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / MS_PER_DAY);
}

export function ymd(day: Day): { year: number; month: number; day: number } {
  const d = new Date(day * MS_PER_DAY);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function dayFrom(year: number, month: number, dayOfMonth: number): Day {
  return Math.floor(Date.UTC(year, month - 1, dayOfMonth) / MS_PER_DAY);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function formatDate(day: Day): string {
  const { year, month, day: d } = ymd(day);
  return `${pad(year, 4)}-${pad(month)}-${pad(d)}`;
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: Day): number {
  return (((day + 4) % 7) + 7) % 7;
}

function nthSunday(year: number, month: number, n: number): Day {
  const first = dayFrom(year, month, 1);
  return first + ((7 - weekday(first)) % 7) + (n - 1) * 7;
}

/** Whether daylight saving time is in force in Québec on that (local) day. */
export function isDaylightSaving(day: Day): boolean {
  const { year } = ymd(day);
  return day >= nthSunday(year, 3, 2) && day < nthSunday(year, 11, 1);
}

/** A local Québec date-time with its offset, e.g. `2024-03-12T09:30:00-04:00`. */
export function dateTime(day: Day, minuteOfDay: number): string {
  const minutes = Math.max(0, Math.min(24 * 60 - 1, Math.round(minuteOfDay)));
  const offset = isDaylightSaving(day) ? '-04:00' : '-05:00';
  return `${formatDate(day)}T${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}:00${offset}`;
}

/** An instant (UTC, with milliseconds) for elements typed `instant`. */
export function instant(day: Day, minuteOfDay: number): string {
  const offsetHours = isDaylightSaving(day) ? 4 : 5;
  return new Date(day * MS_PER_DAY + (minuteOfDay + offsetHours * 60) * 60_000).toISOString();
}

/** Whole years between two days (age on a given day). */
export function yearsBetween(from: Day, to: Day): number {
  const a = ymd(from);
  const b = ymd(to);
  let years = b.year - a.year;
  if (b.month < a.month || (b.month === a.month && b.day < a.day)) years--;
  return years;
}

export function addYears(day: Day, years: number): Day {
  const { year, month, day: d } = ymd(day);
  return dayFrom(year + years, month, Math.min(d, 28));
}

/** ISO 8601 week of a day: the year it belongs to and its number, e.g. `2026-W07`. */
export function isoWeek(day: Day): { year: number; week: number; label: string } {
  const thursday = day - ((weekday(day) + 6) % 7) + 3;
  const { year } = ymd(thursday);
  const week = Math.floor((thursday - dayFrom(year, 1, 1)) / 7) + 1;
  return { year, week, label: `${year}-W${pad(week)}` };
}

/** The Monday of an ISO week. */
export function mondayOfIsoWeek(year: number, week: number): Day {
  const jan4 = dayFrom(year, 1, 4);
  return jan4 - ((weekday(jan4) + 6) % 7) + (week - 1) * 7;
}
