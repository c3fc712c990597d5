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

/** The rows (`rid`s) of current resources of a type that reference any of these local targets (`Type/id`). */
function referencingRids(b: SqlBuilder, type: string, targets: readonly string[]): string {
  // The referencing rows first (an array the planner cannot reorder), then each resource by its row id.
  return `SELECT r.rid FROM resource r ${b.where(
    `r.rid = ANY(ARRAY(SELECT s.rid FROM search_reference s ${b.where(b.any('s.target', [...new Set(targets)], 'text'))}))`,
    b.eq('r.resource_type', type), 'NOT r.deleted',
  )}`;
}

/**
 * The Schedules whose rows `scheduleRids` selects and the PractitionerRoles among their actors, in one
 * statement: $find's schedules cost one round trip to the database however many there are (by specialty,
 * a hundred), the roles found through the reference index rather than a second query.
 */
async function schedulesWithRoles(tx: Queryable, b: SqlBuilder, scheduleRids: string): Promise<{ schedules: Schedule[]; roles: Map<string, PractitionerRole> }> {
  const { rows } = await tx.query<Row>(
    `WITH s AS MATERIALIZED (SELECT r.rid, r.content FROM resource r WHERE r.rid IN (${scheduleRids}) LIMIT ${MAX_SCHEDULES})
     SELECT 'Schedule' AS kind, NULL AS id, s.content FROM s
     UNION ALL
     SELECT 'PractitionerRole', p.id, p.content FROM resource p
     WHERE p.resource_type = 'PractitionerRole' AND NOT p.deleted AND p.id = ANY(ARRAY(
       SELECT DISTINCT substr(a.target, ${'PractitionerRole/'.length + 1}) FROM search_reference a
       WHERE a.rid IN (SELECT rid FROM s) AND a.target LIKE 'PractitionerRole/%'))`,
    b.params,
  );
  const schedules: Schedule[] = [];
  const roles = new Map<string, PractitionerRole>();
  for (const row of rows) {
    if (text(row, 'kind') === 'Schedule') schedules.push(JSON.parse(text(row, 'content')) as Schedule);
    else roles.set(text(row, 'id'), JSON.parse(text(row, 'content')) as PractitionerRole);
  }
  return { schedules, roles };
}

/** The active schedules matching the criteria (of the practitioner, of the clinic's roles, of a specialty…). */
export async function findSchedules(tx: Queryable, criteria: ScheduleCriteria): Promise<ScheduleView[]> {
  const b = new SqlBuilder();
  let scheduleRids: string;
  if (criteria.practitioner || criteria.organization) {
    // The roles of the practitioner and/or the clinic, straight from the reference index.
    const roleTargets = [criteria.practitioner && `Practitioner/${criteria.practitioner}`, criteria.organization && `Organization/${criteria.organization}`]
      .filter((t): t is string => Boolean(t));
    const roleRows = roleTargets.map((target) => `(${referencingRids(b, 'PractitionerRole', [target])})`);
    const roles = `SELECT 'PractitionerRole/' || p.id FROM resource p WHERE p.rid IN ${roleRows.join(' AND p.rid IN ')}`;
    // The practitioner's own schedules too (an actor that is the Practitioner itself).
    const own = criteria.practitioner && !criteria.organization ? ` UNION ALL SELECT ${b.bind(`Practitioner/${criteria.practitioner}`)}` : '';
    scheduleRids = `SELECT r.rid FROM resource r WHERE r.rid = ANY(ARRAY(SELECT x.rid FROM search_reference x WHERE x.target = ANY(ARRAY(${roles}${own}))))
      AND r.resource_type = 'Schedule' AND NOT r.deleted`;
  } else {
    // Straight from the token index: the rows of the one code, then each Schedule by its row id.
    const [name, wanted] = criteria.specialty ? ['specialty', criteria.specialty] as const : ['service-type', criteria.serviceType as { system?: string; code: string }] as const;
    const param = searchRegistry().params('Schedule').get(name);
    if (!param) throw new Error(`Schedule.${name} is not indexed`);
    const tokens = b.where(b.eq('t.param', param.key), b.eq('t.code', wanted.code), wanted.system !== undefined && b.eq('t.system', wanted.system));
    scheduleRids = `SELECT r.rid FROM resource r
      ${b.where(`r.rid = ANY(ARRAY(SELECT t.rid FROM search_token t ${tokens}))`, "r.resource_type = 'Schedule'", 'NOT r.deleted')}`;
  }
  const { schedules, roles } = await schedulesWithRoles(tx, b, scheduleRids);
  const matching = schedules.filter((s) => s.active !== false && hasCoding(s.specialty, criteria.specialty) && hasCoding(s.serviceType, criteria.serviceType));
  return viewsWith(matching.sort((a, b) => String(a.id).localeCompare(String(b.id))), roles);
}

export async function readSchedule(tx: Queryable, id: string): Promise<ScheduleView | undefined> {
  const content = (await currentContents(tx, 'Schedule', [id])).get(id);
  if (!content) return undefined;
  return (await viewsOf(tx, [JSON.parse(content) as Schedule]))[0];
}

const actorRefs = (s: Schedule) => s.actor.map((a) => a.reference);

export async function viewsOf(tx: Queryable, schedules: readonly Schedule[]): Promise<ScheduleView[]> {
  const roleIds = [...new Set(schedules.flatMap((s) => referencedIds(actorRefs(s), 'PractitionerRole')))];
  const roles = new Map([...(await currentContents(tx, 'PractitionerRole', roleIds))].map(([id, c]) => [id, JSON.parse(c) as PractitionerRole]));
  return viewsWith(schedules, roles);
}

/** What booking needs of each schedule, given the PractitionerRoles among their actors. */
function viewsWith(schedules: readonly Schedule[], roles: ReadonlyMap<string, PractitionerRole>): ScheduleView[] {
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
  const during = `c.during && tstzrange(${b.bind(new Date(from).toISOString(), 'timestamptz')}, ${b.bind(new Date(to).toISOString(), 'timestamptz')}, '[)')`;
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
