import type { Ref } from '../fhir.js';

import type { Day } from '../dates.js';
import type { Org, Staff } from '../directory.js';
import type { Person } from '../person.js';
import type { SourceKind } from '../perturb.js';
import type { Random } from '../random.js';
import type { PersonRecord } from '../record.js';
import type { ChronicKey } from '../tables/conditions.js';
import type { Traits } from './physiology.js';
import type { CarePlan } from './plan.js';

/** What every clinical module works from: the person, their plan, the record and the time window. */
export interface ClinicalContext {
  readonly rng: Random;
  readonly person: Person;
  readonly plan: CarePlan;
  readonly traits: Traits;
  readonly record: PersonRecord;
  /** First day of the history generated (the window opens `historyYears` before the reference date). */
  readonly start: Day;
  /** Last day of the history: the reference date, or the day of death. */
  readonly end: Day;
  readonly reference: Day;
  /** The Condition resources of chronic conditions, by source organisation code then condition. */
  readonly conditionRefs: Map<string, Map<ChronicKey, Ref>>;
  /**
   * Upcoming appointments already given to each family doctor (PractitionerRole id → count), shared by the
   * records of one pass over the population: a doctor's appointments never overlap (the database would
   * refuse a double booking: docs/scheduling.md).
   */
  readonly upcoming: Map<string, number>;
}

/** Who follows chronic conditions and prescribes: the family doctor, else the hospital's internist. */
export interface Prescriber {
  readonly kind: SourceKind;
  readonly org: Org;
  readonly author: Staff;
}

export function prescriber(ctx: ClinicalContext): Prescriber {
  const care = ctx.record.care;
  if (care.gmf && care.familyDoctor) return { kind: 'gmf', org: care.gmf.org, author: care.familyDoctor };
  return { kind: 'hospital', org: care.hospital.hospital, author: care.hospital.specialists.internal };
}

/** Days of the window on which something happens every `interval` days (± jitter), from `from`. */
export function recurring(rng: Random, from: Day, to: Day, interval: number, jitter: number): Day[] {
  const days: Day[] = [];
  let day = from + rng.int(0, Math.max(0, Math.min(interval, to - from)));
  while (day <= to) {
    days.push(day);
    day += interval + rng.int(-jitter, jitter);
  }
  return days;
}

/** A clinic time on a weekday morning or afternoon (minutes after midnight). */
export function clinicMinute(rng: Random): number {
  return rng.pick([8 * 60 + 30, 9 * 60, 9 * 60 + 40, 10 * 60 + 20, 11 * 60, 13 * 60 + 30, 14 * 60 + 10, 15 * 60, 15 * 60 + 40]);
}

/** The day `n` weekdays after a weekday. */
export function addWeekdays(day: Day, n: number): Day {
  let d = day;
  for (let left = n; left > 0; left--) d = weekdayOnOrAfter(d + 1);
  return d;
}

/** Moves a day to the next weekday. */
export function weekdayOnOrAfter(day: Day): Day {
  const w = (((day + 4) % 7) + 7) % 7;
  return w === 6 ? day + 2 : w === 0 ? day + 1 : day;
}
