import type { Organization, Slot } from '@medplum/fhirtypes';
import { currentContents } from './claim-store.js';
import { clinicRulesOf } from './clinic-rules.js';
import type { Queryable } from '../storage/database.js';
import { referencedIds } from './claims.js';
import { Earliest, ruleOpenings, ruleSlotId, withoutBusy, type Interval } from './availability.js';
import { visitModeOf, type VisitMode } from './schedule-facts.js';
import { freeSlots } from './slot-index.js';
import { busyClaims, findSchedules, type ScheduleCriteria, type ScheduleView, type Search } from './schedule-store.js';

/**
 * Appointment/$find's engine: the free openings of the matching schedules, earliest first — stored free
 * Slots and the openings of recurring rules, less every live claim (bookings, unexpired holds) of the
 * schedule and of its practitioners wherever they are booked.
 */

export interface FindQuery extends ScheduleCriteria {
  readonly visitMode?: VisitMode;
  readonly from: number;
  readonly to: number;
  readonly count: number;
  /** Which schedules the requester may see openings of (patients: those open to the public). */
  readonly visible: (view: ScheduleView, slot?: Slot) => boolean;
  /** Patients see only what they may book: within each clinic's lead time and booking horizon. */
  readonly patientRules?: boolean;
}

export interface Opening extends Interval {
  readonly view: ScheduleView;
  readonly slotId: string;
  /** A stored Slot, or an opening of a rule (its Slot is created when it is held or booked). */
  readonly slot?: Slot;
  readonly visitMode: VisitMode;
}

/**
 * Openings are gathered over a day first, then over windows twice as long each time, so a search that
 * finds enough early (the usual case: earliest first) stops early, and one that does not takes few rounds.
 */
const FIRST_WINDOW = 24 * 3_600_000;

export async function findOpenings(tx: Queryable, query: FindQuery, search: Search): Promise<Opening[]> {
  const views = await findSchedules(tx, query);
  if (views.length === 0) return [];
  const admissible = query.patientRules ? await bookingWindows(tx, views, search.now.getTime()) : undefined;
  const inWindow = (view: ScheduleView, start: number): boolean => {
    const w = admissible?.get(view.id);
    return !w || (start >= w.start && start <= w.end);
  };
  const found: Opening[] = [];
  const byId = new Map(views.map((v) => [v.id, v]));
  const actors = [...new Set(views.flatMap((v) => [`Schedule/${v.id}`, ...v.people]))];
  // Schedules of one clinic usually share their hours: their openings are computed once per window.
  const ruleKey = new Map(views.map((v) => [v.id, v.rules ? JSON.stringify(v.rules) : '']));
  for (let lo = query.from, span = FIRST_WINDOW; lo < query.to && found.length < query.count; lo += span, span *= 2) {
    const hi = Math.min(query.to, lo + span);
    const openingsOf = new Map<string, Interval[]>();
    // Both read at once (on the pool, two connections): the stored free Slots that no live claim holds.
    const [busy, stored] = await Promise.all([
      busyClaims(tx, actors, lo, hi, search.now),
      freeSlots(tx, views.map((v) => v.id), lo, hi, query.count, search.now),
    ]);
    const busyOf = new Map<string, Interval[]>();
    const claimedSlots = new Set<string>();
    for (const claim of busy) {
      if (claim.slotId) claimedSlots.add(claim.slotId);
      const list = busyOf.get(claim.actor);
      if (list) list.push(claim);
      else busyOf.set(claim.actor, [claim]);
    }
    const blocking = (v: ScheduleView): Interval[] => [`Schedule/${v.id}`, ...v.people].flatMap((a) => busyOf.get(a) ?? []);
    // Only the earliest `need` of this window are kept: the others are turned away before they are built.
    const best = new Earliest<Opening>(query.count - found.length, (o) => o.slotId);
    const storedIds = new Set<string>();
    const storedOf = new Map<string, Interval[]>();
    for (const slot of stored) {
      const view = byId.get(referencedIds([slot.schedule.reference], 'Schedule')[0] ?? '');
      storedIds.add(slot.id as string);
      const interval = { start: Date.parse(slot.start), end: Date.parse(slot.end) };
      if (view) storedOf.set(view.id, [...(storedOf.get(view.id) ?? []), interval]);
      if (!view || claimedSlots.has(slot.id as string) || !query.visible(view, slot)) continue;
      const mode = visitModeOf(view.schedule, slot);
      if (query.visitMode && mode !== query.visitMode) continue;
      if (!inWindow(view, interval.start) || !best.wants(interval.start, slot.id as string)) continue;
      if (withoutBusy([interval], blocking(view)).length === 0) continue;
      best.add({ ...interval, view, slotId: slot.id as string, slot, visitMode: mode });
    }
    for (const view of views) {
      if (!view.rules || !query.visible(view) || (query.visitMode && view.visitMode !== query.visitMode)) continue;
      const key = ruleKey.get(view.id) as string;
      let all = openingsOf.get(key);
      if (!all) {
        all = ruleOpenings(view.rules, lo, hi);
        openingsOf.set(key, all);
      }
      // Earliest first: only the prefix up to the current cutoff can still be kept.
      const cutoff = best.cutoff;
      let upTo = 0;
      while (upTo < all.length && (all[upTo] as Interval).start <= cutoff) upTo++;
      if (upTo === 0) continue;
      // A stored free Slot is the opening at its time: the rule gives none over it.
      const openings = withoutBusy(all.slice(0, upTo), [...blocking(view), ...(storedOf.get(view.id) ?? [])]);
      for (const o of openings) {
        if (o.start > best.cutoff) break;
        if (!inWindow(view, o.start)) continue;
        const slotId = ruleSlotId(view.id, o.start);
        // A rule opening once held or booked is a stored Slot: it is listed (or not) as one.
        if (storedIds.has(slotId) || claimedSlots.has(slotId) || !best.wants(o.start, slotId)) continue;
        best.add({ ...o, view, slotId, visitMode: view.visitMode });
      }
    }
    found.push(...best.items());
  }
  return found;
}

/** Per schedule, the starts a patient may book: from the clinic's lead time to its horizon. */
async function bookingWindows(tx: Queryable, views: readonly ScheduleView[], now: number): Promise<Map<string, Interval>> {
  const orgIds = [...new Set(views.flatMap((v) => referencedIds(v.clinics, 'Organization').slice(0, 1)))];
  const orgs = await currentContents(tx, 'Organization', orgIds);
  const windows = new Map<string, Interval>();
  for (const view of views) {
    const org = referencedIds(view.clinics, 'Organization')[0];
    const content = org ? orgs.get(org) : undefined;
    const rules = clinicRulesOf(content ? (JSON.parse(content) as Organization) : undefined);
    windows.set(view.id, { start: now + rules.minimumLeadMinutes * 60_000, end: now + rules.bookingHorizonDays * 86_400_000 });
  }
  return windows;
}
