import { dayFrom, formatDate, isoWeek, mondayOfIsoWeek, ymd, type Day } from './dates.js';
import { ageOn, type Person } from './person.js';
import type { Random } from './random.js';
import type { NotifiableKey } from './tables/conditions.js';
import { LYME_ENDEMIC_REGIONS } from './tables/places.js';

/**
 * The public-health signal (pure, population level): when each person catches a notifiable infection,
 * with seasonal and regional patterns, plus one planted outbreak — pertussis in one region over six ISO
 * weeks — written into the ground truth so that surveillance can be measured against it.
 *
 * Patterns, from the INSPQ's surveillance reports in broad strokes: influenza peaks around the turn of
 * the year (the peak week shifts by region and season); COVID-19 has a winter and a late-summer wave;
 * chlamydia is year-round and concentrated in people aged 15–29; Lyme disease is acquired from June to
 * September in the southern regions where the tick is established; pertussis is rare outside outbreaks.
 */

export interface PlannedCase {
  readonly personKey: string;
  readonly condition: NotifiableKey;
  readonly onset: Day;
  /** Part of the planted outbreak (as opposed to the background rate). */
  readonly planted: boolean;
}

export interface Outbreak {
  readonly condition: NotifiableKey;
  readonly regionCode: string;
  /** ISO weeks, e.g. 2026-W23. */
  readonly weeks: readonly string[];
  readonly firstDay: Day;
  readonly lastDay: Day;
  readonly plantedCases: number;
}

export interface PublicHealthPlan {
  readonly cases: ReadonlyMap<string, readonly PlannedCase[]>;
  readonly outbreak?: Outbreak;
}

export const OUTBREAK_WEEKS = 6;

function regionShift(regionCode: string): number {
  return ((Number(regionCode) * 37) % 21) - 10;
}

export function planPublicHealth(rng: Random, people: readonly Person[], start: Day, reference: Day): PublicHealthPlan {
  const cases = new Map<string, PlannedCase[]>();
  const add = (c: PlannedCase) => {
    const list = cases.get(c.personKey) ?? [];
    list.push(c);
    cases.set(c.personKey, list);
  };
  const firstYear = ymd(start).year;
  const lastYear = ymd(reference).year;
  const seasonShift = new Map<number, number>();
  const seasons = rng.fork('seasons');
  for (let y = firstYear - 1; y <= lastYear; y++) seasonShift.set(y, seasons.int(-14, 14));
  for (const person of people) {
    const r = rng.fork(`cases/${person.key}`);
    const end = Math.min(person.deathDay ?? reference, reference);
    const within = (day: Day) => day >= start && day <= end && day >= person.birthDay;
    const region = person.address.regionCode;
    for (let y = firstYear - 1; y <= lastYear; y++) {
      const age = ageOn(person, dayFrom(y, 12, 31));
      if (age < 0) continue;
      // Influenza season y/y+1, peaking near New Year.
      if (r.chance(age < 5 || age >= 65 ? 0.07 : 0.045)) {
        const onset = Math.round(dayFrom(y + 1, 1, 1) - 5 + (seasonShift.get(y) ?? 0) + regionShift(region) + r.normal(0, 24));
        if (within(onset)) add({ personKey: person.key, condition: 'influenza', onset, planted: false });
      }
      // COVID-19 waves: winter and late summer, from 2021.
      if (y >= 2021 && r.chance(0.04)) {
        const onset = r.chance(0.6)
          ? Math.round(dayFrom(y, 1, 10) + r.normal(0, 25))
          : Math.round(dayFrom(y, 8, 25) + r.normal(0, 20));
        if (within(onset)) add({ personKey: person.key, condition: 'covid19', onset, planted: false });
      }
      if (r.chance(age >= 15 && age <= 29 ? 0.02 : age >= 30 && age <= 44 ? 0.004 : 0)) {
        const onset = dayFrom(y, 1, 1) + r.int(0, 364);
        if (within(onset)) add({ personKey: person.key, condition: 'chlamydia', onset, planted: false });
      }
      if (LYME_ENDEMIC_REGIONS.has(region) && r.chance(age >= 40 ? 0.004 : 0.002)) {
        const onset = Math.round(dayFrom(y, 6, 1) + Math.abs(r.normal(45, 25)));
        if (within(onset)) add({ personKey: person.key, condition: 'lyme', onset, planted: false });
      }
      if (r.chance(0.0004)) {
        const onset = dayFrom(y, 1, 1) + r.int(0, 364);
        if (within(onset)) add({ personKey: person.key, condition: 'pertussis', onset, planted: false });
      }
    }
  }
  const outbreak = plantOutbreak(rng.fork('outbreak'), people, reference, add);
  for (const list of cases.values()) list.sort((a, b) => a.onset - b.onset);
  return { cases, ...(outbreak ? { outbreak } : {}) };
}

/**
 * Pertussis in the region with the most people, over six ISO weeks starting about 14 weeks before the
 * reference date: cases rise then fall, mostly in children and teenagers (then young adults, their parents).
 */
function plantOutbreak(rng: Random, people: readonly Person[], reference: Day, add: (c: PlannedCase) => void): Outbreak | undefined {
  const byRegion = new Map<string, Person[]>();
  for (const p of people) {
    if (p.deathDay !== undefined && p.deathDay < reference - 200) continue;
    const list = byRegion.get(p.address.regionCode) ?? [];
    list.push(p);
    byRegion.set(p.address.regionCode, list);
  }
  const [regionCode, residents] = [...byRegion.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0] ?? [];
  if (!regionCode || !residents || residents.length < 2) return undefined;
  const startWeek = isoWeek(reference - 100);
  const firstDay = mondayOfIsoWeek(startWeek.year, startWeek.week);
  const lastDay = firstDay + OUTBREAK_WEEKS * 7 - 1;
  const alive = residents.filter((p) => (p.deathDay ?? Infinity) > lastDay && p.birthDay < firstDay - 60);
  // Enough cases to stand out in a small demo (6 among 50 residents), a plausible attack rate in a large
  // one (30 among 1,250): 0.85 × √residents, at least 3.
  const planted = Math.min(alive.length, Math.max(3, Math.round(0.85 * Math.sqrt(alive.length))));
  const weighted = [...alive].sort((a, b) => {
    const wa = ageOn(a, firstDay) < 20 ? 0 : ageOn(a, firstDay) < 45 ? 1 : 2;
    const wb = ageOn(b, firstDay) < 20 ? 0 : ageOn(b, firstDay) < 45 ? 1 : 2;
    return wa - wb || a.index - b.index;
  });
  const chosen = weighted.slice(0, Math.max(planted, 0));
  // Epidemic curve over six weeks: weights 1 2 4 3 2 1.
  const curve = [1, 2, 4, 3, 2, 1];
  chosen.forEach((person) => {
    const week = rng.weighted(curve.map((w, i) => [i, w] as const));
    add({ personKey: person.key, condition: 'pertussis', onset: firstDay + week * 7 + rng.int(0, 6), planted: true });
  });
  const weeks = Array.from({ length: OUTBREAK_WEEKS }, (_, i) => isoWeek(firstDay + i * 7).label);
  return { condition: 'pertussis', regionCode, weeks, firstDay, lastDay, plantedCases: chosen.length };
}

export function weekLabel(day: Day): string {
  return isoWeek(day).label;
}

export function describeOutbreak(o: Outbreak): { condition: string; regionCode: string; weeks: readonly string[]; from: string; to: string; plantedCases: number } {
  return { condition: o.condition, regionCode: o.regionCode, weeks: o.weeks, from: formatDate(o.firstDay), to: formatDate(o.lastDay), plantedCases: o.plantedCases };
}
