/**
 * The topics Carnet publishes (Subscriptions R5 Backport IG, pure data): what a change must be to be an
 * event of the topic (its resource type and a search its resource must meet), and the filters a
 * subscriber may add. A topic-based Subscription names a topic in `criteria` and its filters in
 * `_criteria.extension` (`backport-filter-criteria`, e.g. `Observation?patient=Patient/123`); Carnet
 * compiles both into one search, then matches and delivers exactly as for a criteria subscription.
 */
export interface Topic {
  readonly url: string;
  readonly title: string;
  readonly resourceType: string;
  /** The search every event's resource meets (its status, its category). */
  readonly criteria: string;
  /** Search parameters a subscriber may filter on. */
  readonly filters: readonly string[];
}

const BASE = 'urn:carnet:SubscriptionTopic';

export const TOPICS: readonly Topic[] = [
  {
    url: `${BASE}/lab-result`, title: 'A laboratory result was issued or corrected', resourceType: 'Observation',
    criteria: 'category=laboratory&status=final,amended,corrected', filters: ['patient', 'code', 'performer', 'encounter'],
  },
  {
    url: `${BASE}/diagnostic-report`, title: 'A diagnostic report was issued or corrected', resourceType: 'DiagnosticReport',
    criteria: 'status=final,amended,corrected,appended', filters: ['patient', 'code', 'category', 'performer', 'encounter'],
  },
  {
    url: `${BASE}/document`, title: 'A clinical document was added or replaced', resourceType: 'DocumentReference',
    criteria: 'status=current', filters: ['patient', 'type', 'category', 'author'],
  },
  {
    url: `${BASE}/medication-dispense`, title: 'A medication was dispensed', resourceType: 'MedicationDispense',
    criteria: 'status=completed', filters: ['patient', 'performer', 'code'],
  },
  {
    url: `${BASE}/appointment`, title: 'An appointment was booked or cancelled', resourceType: 'Appointment',
    criteria: 'status=booked,cancelled', filters: ['patient', 'actor', 'practitioner', 'location'],
  },
  {
    // Written by the reminder job 24 h before a booked appointment (src/scheduling/reminders.ts).
    url: `${BASE}/appointment-reminder`, title: 'An appointment is coming up (reminder, 24 h before)', resourceType: 'Communication',
    criteria: 'category=urn:carnet:communication-category|appointment-reminder', filters: ['patient', 'recipient'],
  },
  {
    url: `${BASE}/encounter`, title: 'A patient was admitted or discharged', resourceType: 'Encounter',
    criteria: 'status=in-progress,finished', filters: ['patient', 'class', 'service-provider', 'location'],
  },
  {
    url: `${BASE}/monitoring-alert`, title: 'A remote-monitoring alert was raised', resourceType: 'Flag',
    criteria: 'status=active', filters: ['patient', 'author'],
  },
];

export function topicOf(url: string): Topic | undefined {
  return TOPICS.find((t) => t.url === url);
}

/**
 * The one search a topic and its filters make, or why not: each filter is `Type?param=value&…` of the
 * topic's type, naming only the topic's filter parameters (modifiers allowed).
 */
export function compileTopic(topic: Topic, filters: readonly string[]): { criteria: string } | { problem: string } {
  const parts = [topic.criteria];
  for (const filter of filters) {
    const at = filter.indexOf('?');
    const type = at < 0 ? '' : filter.slice(0, at);
    if (type !== topic.resourceType) return { problem: `the filter "${filter}" must read ${topic.resourceType}?parameter=value` };
    const query = filter.slice(at + 1);
    for (const [name] of new URLSearchParams(query)) {
      const code = name.split(':')[0] as string;
      if (!topic.filters.includes(code)) return { problem: `the topic ${topic.url} filters on ${topic.filters.join(', ')}, not on "${code}"` };
    }
    if (query) parts.push(query);
  }
  return { criteria: parts.join('&') };
}
