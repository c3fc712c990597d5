import type { CodeableConcept, PractitionerRole, Schedule } from '@medplum/fhirtypes';
import type { Queryable } from '../storage/database.js';
import { SqlBuilder } from '../storage/sql/builder.js';
import { date, text, textOrNull, type Row } from '../storage/sql/rows.js';
import { searchRegistry } from '../fhir/search/registry.js';
import type { AvailabilityRules, Interval } from './availability.js';
import { currentContents, liveClaim } from './claim-store.js';
import { referencedIds } from './claims.js';
import { availabilityOf, isPublic, visitModeOf, type VisitMode } from './schedule-facts.js';

/** Loading schedules with what booking needs of them: practitioners, clinics, rules (reads only). */

export interface ScheduleView {
  readonly id: string;
  readonly schedule: Schedule;
  /** PractitionerRole ids among its actors. */
  readonly roles: readonly string[];
  /** The claim actors of its people: `Practitioner/<id>` (or `PractitionerRole/<id>` for a role without one). */
  readonly people: readonly string[];
  /** `Organization/<id>` of its roles: the clinic(s) whose schedule it is. */
  readonly clinics: readonly string[];
  readonly publicBooking: boolean;
  readonly visitMode: VisitMode;
  readonly rules: AvailabilityRules | undefined;
}

export interface Search {
  readonly baseUrl: string;
  readonly now: Date;
}

const MAX_SCHEDULES = 5000;

export interface ScheduleCriteria {
  readonly practitioner?: string;
  readonly organization?: string;
  readonly specialty?: { system?: string; code: string };
  readonly serviceType?: { system?: string; code: string };
}

/**
 * Current resources of a type that reference any of these local targets (`Type/id`), straight from the
 * reference index: for Slot → Schedule, Schedule → PractitionerRole/Practitioner and PractitionerRole →
 * Practitioner/Organization the target's type alone names the search parameter, so no parsing of a search
 * is needed on $find's hot path.
 */
async function referencing(tx: Queryable, type: string, targets: readonly string[]): Promise<{ id: string; content: string }[]> {
  if (targets.length === 0) return [];
  const b = new SqlBuilder();
  const { rows } = await tx.query<Row>(
    // The referencing rows first (an array the planner cannot reorder), then each resource by its row id.
    `SELECT r.id, r.content FROM resource r
     ${b.where(`r.rid = ANY(ARRAY(SELECT s.rid FROM search_reference s ${b.where(b.any('s.target', [...new Set(targets)], 'text'))}))`, b.eq('r.resource_type', type), 'NOT r.deleted')}`,
    b.params,
  );
  return rows.map((r) => ({ id: text(r, 'id'), content: text(r, 'content') }));
}

/** The active schedules matching the criteria (of the practitioner, of the clinic's roles, of a specialty…). */
export async function findSchedules(tx: Queryable, criteria: ScheduleCriteria, search: Search): Promise<ScheduleView[]> {
  let schedules: Schedule[];
  if (criteria.practitioner || criteria.organization) {
    const byPractitioner = criteria.practitioner ? await referencing(tx, 'PractitionerRole', [`Practitioner/${criteria.practitioner}`]) : undefined;
    const byOrg = criteria.organization ? await referencing(tx, 'PractitionerRole', [`Organization/${criteria.organization}`]) : undefined;
    const roleIds = byPractitioner && byOrg
      ? byPractitioner.map((r) => r.id).filter((id) => byOrg.some((o) => o.id === id))
      : (byPractitioner ?? byOrg ?? []).map((r) => r.id);
    const actors = roleIds.map((id) => `PractitionerRole/${id}`);
    if (criteria.practitioner && !criteria.organization) actors.push(`Practitioner/${criteria.practitioner}`);
    schedules = (await referencing(tx, 'Schedule', actors)).map((r) => JSON.parse(r.content) as Schedule)
      .filter((s) => s.active !== false && hasCoding(s.specialty, criteria.specialty) && hasCoding(s.serviceType, criteria.serviceType));
  } else {
    // Straight from the token index: the rows of the one code, then each Schedule by its row id.
    const [name, wanted] = criteria.specialty ? ['specialty', criteria.specialty] as const : ['service-type', criteria.serviceType as { system?: string; code: string }] as const;
    const param = searchRegistry().params('Schedule').get(name);
    if (!param) throw new Error(`Schedule.${name} is not indexed`);
    const b = new SqlBuilder();
    const tokens = b.where(b.eq('t.param', param.key), b.eq('t.code', wanted.code), wanted.system !== undefined && b.eq('t.system', wanted.system));
    const { rows } = await tx.query<Row>(
      `SELECT r.content FROM resource r
       ${b.where(`r.rid = ANY(ARRAY(SELECT t.rid FROM search_token t ${tokens}))`, "r.resource_type = 'Schedule'", 'NOT r.deleted')} LIMIT ${MAX_SCHEDULES}`,
      b.params,
    );
    schedules = rows.map((r) => JSON.parse(text(r, 'content')) as Schedule)
      .filter((s) => s.active !== false && hasCoding(s.specialty, criteria.specialty) && hasCoding(s.serviceType, criteria.serviceType));
  }
  return viewsOf(tx, schedules.sort((a, b) => String(a.id).localeCompare(String(b.id))));
}

export async function readSchedule(tx: Queryable, id: string): Promise<ScheduleView | undefined> {
  const content = (await currentContents(tx, 'Schedule', [id])).get(id);
  if (!content) return undefined;
  return (await viewsOf(tx, [JSON.parse(content) as Schedule]))[0];
}

export async function viewsOf(tx: Queryable, schedules: readonly Schedule[]): Promise<ScheduleView[]> {
  const actorRefs = (s: Schedule) => s.actor.map((a) => a.reference);
  const roleIds = [...new Set(schedules.flatMap((s) => referencedIds(actorRefs(s), 'PractitionerRole')))];
  const roles = new Map([...(await currentContents(tx, 'PractitionerRole', roleIds))].map(([id, c]) => [id, JSON.parse(c) as PractitionerRole]));
  return schedules.map((schedule) => {
    const scheduleRoles = referencedIds(actorRefs(schedule), 'PractitionerRole');
    const people = new Set(referencedIds(actorRefs(schedule), 'Practitioner').map((id) => `Practitioner/${id}`));
    const clinics = new Set<string>();
    for (const id of scheduleRoles) {
      const role = roles.get(id);
      const practitioner = referencedIds([role?.practitioner?.reference], 'Practitioner')[0];
      people.add(practitioner ? `Practitioner/${practitioner}` : `PractitionerRole/${id}`);
      const org = referencedIds([role?.organization?.reference], 'Organization')[0];
      if (org) clinics.add(`Organization/${org}`);
    }
    return {
      id: schedule.id as string, schedule, roles: scheduleRoles, people: [...people], clinics: [...clinics],
      publicBooking: isPublic(schedule), visitMode: visitModeOf(schedule), rules: availabilityOf(schedule),
    };
  });
}

export interface BusyClaim extends Interval {
  readonly actor: string;
  readonly slotId: string | null;
}

/** The live claims (expired holds excluded) of these actors overlapping [from, to). */
export async function busyClaims(tx: Queryable, actors: readonly string[], from: number, to: number, now: Date): Promise<BusyClaim[]> {
  if (actors.length === 0) return [];
  const b = new SqlBuilder();
  const during = `during && tstzrange(${b.bind(new Date(from).toISOString(), 'timestamptz')}, ${b.bind(new Date(to).toISOString(), 'timestamptz')}, '[)')`;
  const { rows } = await tx.query<Row>(
    `SELECT actor, slot_id, lower(during) AS b, upper(during) AS e FROM schedule_claim c ${b.where(b.any('c.actor', actors, 'text'), during, liveClaim(b, 'c', now))}`,
    b.params,
  );
  return rows.map((r) => ({ actor: text(r, 'actor'), slotId: textOrNull(r, 'slot_id'), start: date(r, 'b').getTime(), end: date(r, 'e').getTime() }));
}

/** Whether a concept list holds a coding (system optional). */
export function hasCoding(concepts: readonly CodeableConcept[] | undefined, wanted: { system?: string; code: string } | undefined): boolean {
  if (!wanted) return true;
  return (concepts ?? []).some((c) => (c.coding ?? []).some((k) => k.code === wanted.code && (!wanted.system || k.system === wanted.system)));
}
