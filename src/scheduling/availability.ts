import { createHash } from 'node:crypto';
import { addDays, localTime, steadyDay, weekdayOf, zonedInstant } from './time-zone.js';

/**
 * Free time (pure): the openings a schedule's recurring rules give over a period, less what is busy, merged
 * with the stored free Slots, earliest first. I/O (which schedules, which claims) is the caller's.
 */

/** A half-open [start, end) in epoch milliseconds. */
export interface Interval {
  readonly start: number;
  readonly end: number;
}

/** Weekly hours: on these weekdays (0 = Sunday), from startMinute to endMinute of local time. */
export interface WeeklyWindow {
  readonly days: readonly number[];
  readonly startMinute: number;
  readonly endMinute: number;
}

export interface AvailabilityRules {
  readonly zone: string;
  readonly windows: readonly WeeklyWindow[];
  /** Length of one visit. */
  readonly visitMinutes: number;
  /** Pause after each visit. */
  readonly bufferMinutes: number;
  /** Blocked periods (holidays, training days): no opening overlaps them. */
  readonly blocked: readonly Interval[];
  /** The schedule's planning horizon, when it has one: no opening outside it. */
  readonly horizon?: Interval;
}

const MINUTE = 60_000;

function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

/**
 * The openings the rules give that start in [from, to). Each visit starts `visitMinutes + bufferMinutes`
 * after the previous one within a window and ends inside it. Local times are converted day by day, so a
 * 9:00 opening is at 9:00 on both sides of a change of clocks; a time the change skips gives no opening.
 */
export function ruleOpenings(rules: AvailabilityRules, from: number, to: number): Interval[] {
  const out: Interval[] = [];
  if (rules.visitMinutes <= 0 || to <= from) return out;
  const lo = Math.max(from, rules.horizon?.start ?? from);
  const hi = Math.min(to, rules.horizon?.end ?? to);
  if (hi <= lo) return out;
  const step = rules.visitMinutes + Math.max(0, rules.bufferMinutes);
  const last = localTime(hi, rules.zone).date;
  for (let date = addDays(localTime(lo, rules.zone).date, -1); date <= last; date = addDays(date, 1)) {
    const weekday = weekdayOf(date);
    const windows = rules.windows.filter((w) => w.days.includes(weekday)).sort((a, b) => a.startMinute - b.startMinute);
    if (windows.length === 0) continue;
    // Reading the zone's rules costs microseconds: once a day, unless the clocks change that day.
    const steady = steadyDay(date, rules.zone);
    for (const window of windows) {
      for (let m = window.startMinute; m + rules.visitMinutes <= window.endMinute; m += step) {
        const start = steady ? steady.midnightUtc + m * MINUTE : zonedInstant(date, m, rules.zone);
        if (start === undefined || start < lo || start >= hi) continue;
        const opening = { start, end: start + rules.visitMinutes * MINUTE };
        if (!rules.blocked.some((b) => overlaps(b, opening))) out.push(opening);
      }
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The intervals that overlap nothing busy (both lists in any order). */
export function withoutBusy<T extends Interval>(candidates: readonly T[], busy: readonly Interval[]): T[] {
  if (busy.length === 0) return [...candidates];
  const sorted = [...busy].sort((a, b) => a.start - b.start);
  // reach[i]: the latest end among the busy intervals that start first, up to i.
  const reach: number[] = [];
  for (const [i, b] of sorted.entries()) reach.push(Math.max(b.end, i > 0 ? (reach[i - 1] as number) : -Infinity));
  return candidates.filter((c) => {
    // The busy intervals starting before the candidate ends are sorted[0 .. lo-1]; one overlaps iff one ends after it starts.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as Interval).start < c.end) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 || (reach[lo - 1] as number) <= c.start;
  });
}

/**
 * The `count` earliest of many candidates (by start, then id), kept sorted as they come. A candidate that
 * would not be among them is turned away before anything is built for it: searching 100 schedules costs
 * about what the few openings kept cost, not what all their openings would (issue #18's $find target).
 */
export class Earliest<T extends Interval> {
  private readonly kept: T[] = [];

  constructor(private readonly count: number, private readonly idOf: (item: T) => string) {}

  /** The latest start a candidate may have to be kept (Infinity until `count` are kept). */
  get cutoff(): number {
    if (this.count <= 0) return -Infinity;
    return this.kept.length < this.count ? Infinity : (this.kept[this.kept.length - 1] as T).start;
  }

  /** Whether a candidate starting then, with this id, would be kept. */
  wants(start: number, id: string): boolean {
    if (this.count <= 0) return false;
    if (this.kept.length < this.count) return true;
    const last = this.kept[this.kept.length - 1] as T;
    return start < last.start || (start === last.start && id.localeCompare(this.idOf(last)) < 0);
  }

  add(item: T): void {
    if (!this.wants(item.start, this.idOf(item))) return;
    let at = this.kept.length;
    while (at > 0 && this.before(item, this.kept[at - 1] as T)) at--;
    this.kept.splice(at, 0, item);
    if (this.kept.length > this.count) this.kept.pop();
  }

  items(): T[] {
    return [...this.kept];
  }

  private before(a: T, b: T): boolean {
    return a.start < b.start || (a.start === b.start && this.idOf(a).localeCompare(this.idOf(b)) < 0);
  }
}

/**
 * The id of the Slot an opening of a rule becomes when it is held or booked: the same for everyone who
 * books that opening, so two bookings of it name one Slot (and the schedule claim refuses the second).
 */
export function ruleSlotId(scheduleId: string, start: number): string {
  const key = scheduleId.length <= 48 && /^[A-Za-z0-9\-.]+$/.test(scheduleId) ? scheduleId : createHash('sha256').update(scheduleId).digest('hex').slice(0, 40);
  return `r.${key}.${Math.floor(start / MINUTE).toString(36)}`;
}

/** The schedule key and start a rule opening's Slot id encodes, or undefined for another id. */
export function ruleSlotParts(slotId: string): { scheduleKey: string; start: number } | undefined {
  const m = /^r\.([A-Za-z0-9\-.]+)\.([0-9a-z]+)$/.exec(slotId);
  if (!m) return undefined;
  return { scheduleKey: m[1] as string, start: parseInt(m[2] as string, 36) * MINUTE };
}
