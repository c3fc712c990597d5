import { localTime } from '../../scheduling/time-zone.js';

/**
 * The person's timeline (pure): clinical events from every source record, newest first. The store hands
 * over one small fact per stored resource (its type, clinical date, status, categories, device — read from
 * the search index, never the resource's JSON); this module classifies them, summarises device readings
 * per device and local day, filters, orders and cuts keyset pages. Labels are written later, for the
 * page's events only (labels.ts).
 */
export type TimelineCategory =
  | 'encounter' | 'appointment' | 'result' | 'vital-signs' | 'device' | 'prescription' | 'dispense'
  | 'immunization' | 'procedure' | 'document';

export const TIMELINE_CATEGORIES: readonly TimelineCategory[] = [
  'encounter', 'appointment', 'result', 'vital-signs', 'device', 'prescription', 'dispense', 'immunization', 'procedure', 'document',
];

/**
 * The resource types of the timeline, their category and the search parameters whose first date is the
 * event's clinical date, in order of preference (the index holds them as `search_date` rows).
 */
export const TIMELINE_TYPES: Readonly<Record<string, { readonly category: TimelineCategory; readonly dates: readonly string[] }>> = {
  Encounter: { category: 'encounter', dates: ['date'] },
  Appointment: { category: 'appointment', dates: ['date'] },
  Observation: { category: 'result', dates: ['date'] },
  DiagnosticReport: { category: 'result', dates: ['date'] },
  MedicationRequest: { category: 'prescription', dates: ['authoredon'] },
  MedicationDispense: { category: 'dispense', dates: ['whenhandedover', 'whenprepared'] },
  Immunization: { category: 'immunization', dates: ['date'] },
  Procedure: { category: 'procedure', dates: ['date'] },
  DocumentReference: { category: 'document', dates: ['period', 'date'] },
  Composition: { category: 'document', dates: ['date'] },
};

/** Statuses that say the resource never was a clinical event. */
const NOT_EVENTS = new Set(['entered-in-error']);

/** What the store reads of one resource. */
export interface EventFact {
  readonly rid: string;
  readonly resourceType: string;
  readonly id: string;
  readonly patientId: string;
  /** Milliseconds of the clinical date, or null when the resource states none. */
  readonly at: number | null;
  /** When Carnet recorded it (the fallback date of an undated resource). */
  readonly recorded: number;
  readonly status: string | null;
  /** Observation.category codes. */
  readonly categories: readonly string[];
  /** Observation.device target (a reading made by a device). */
  readonly device: string | null;
  /** The organisation whose user or system wrote it. */
  readonly authorOrg: string | null;
}

export interface TimelineEvent {
  /** Stable and unique: `Type/id`, or `device/<device>/<local day>` for a day's readings. */
  readonly key: string;
  readonly at: number;
  /** False when the resource states no clinical date and the recording date stands in. */
  readonly dated: boolean;
  readonly category: TimelineCategory;
  /** The source organisation (`Organization/…`), when known. */
  readonly source: string | null;
  /** The resources of the event, newest first (one, or a day's readings of one device). */
  readonly members: readonly EventFact[];
}

export function categoryOf(fact: EventFact): TimelineCategory | undefined {
  const type = TIMELINE_TYPES[fact.resourceType];
  if (!type) return undefined;
  if (fact.resourceType !== 'Observation') return type.category;
  if (fact.device) return 'device';
  return fact.categories.includes('vital-signs') ? 'vital-signs' : 'result';
}

const newestFirst = (a: { at: number; key: string }, b: { at: number; key: string }): number => b.at - a.at || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0);

/**
 * Every event of the facts, newest first (ties by key, so the order is total and pages never overlap).
 * `sourceOf` names the organisation of a source Patient record (its managing organisation); a fact of a
 * record with none falls back on its writer's organisation. `zone` is whose days device readings group by.
 */
export function buildEvents(facts: readonly EventFact[], sourceOf: (patientId: string) => string | null, zone?: string): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const days = new Map<string, EventFact[]>();
  for (const fact of facts) {
    if (fact.status && NOT_EVENTS.has(fact.status)) continue;
    const category = categoryOf(fact);
    if (!category) continue;
    const at = fact.at ?? fact.recorded;
    if (category === 'device') {
      const key = `device/${fact.device}/${localTime(at, zone).date}`;
      days.set(key, [...(days.get(key) ?? []), { ...fact, at }]);
      continue;
    }
    events.push({ key: `${fact.resourceType}/${fact.id}`, at, dated: fact.at !== null, category, source: sourceOf(fact.patientId) ?? fact.authorOrg, members: [fact] });
  }
  for (const [key, members] of days) {
    members.sort((a, b) => newestFirst({ at: a.at as number, key: a.id }, { at: b.at as number, key: b.id }));
    const first = members[0] as EventFact;
    events.push({ key, at: first.at as number, dated: true, category: 'device', source: sourceOf(first.patientId) ?? first.authorOrg, members });
  }
  return events.sort(newestFirst);
}

/** Where a page starts: after the event with this date and key (keyset paging). */
export interface TimelinePosition {
  readonly at: number;
  readonly key: string;
}

export interface TimelineFilter {
  readonly categories?: ReadonlySet<TimelineCategory>;
  readonly sources?: ReadonlySet<string>;
  /** Inclusive lower bound (ms). */
  readonly from?: number;
  /** Exclusive upper bound (ms). */
  readonly to?: number;
}

export function matches(event: TimelineEvent, filter: TimelineFilter): boolean {
  return (!filter.categories || filter.categories.has(event.category))
    && (!filter.sources || (event.source !== null && filter.sources.has(event.source)))
    && (filter.from === undefined || event.at >= filter.from)
    && (filter.to === undefined || event.at < filter.to);
}

/** One page of the ordered events: `count` events after `after`, and where the next page starts. */
export function timelinePage(
  events: readonly TimelineEvent[], filter: TimelineFilter, count: number, after?: TimelinePosition,
): { events: TimelineEvent[]; next?: TimelinePosition } {
  const page: TimelineEvent[] = [];
  let more = false;
  for (const event of events) {
    if (after && newestFirst(after, event) >= 0) continue;
    if (!matches(event, filter)) continue;
    if (page.length === count) {
      more = true;
      break;
    }
    page.push(event);
  }
  const last = page[page.length - 1];
  return more && last ? { events: page, next: { at: last.at, key: last.key } } : { events: page };
}
