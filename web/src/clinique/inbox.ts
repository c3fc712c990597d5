import type { Bundle, DiagnosticReport, DocumentReference, Encounter, Flag, MedicationDispense, Observation, Parameters, Patient, Resource, Subscription, Task } from '@medplum/fhirtypes';

/**
 * The clinician's notifications inbox (pure). What arrives comes from Carnet's topic-based websocket
 * subscriptions (the Subscriptions R5 Backport IG, docs/subscriptions.md), one per topic, owned by the
 * clinician and filtered on their patients ("Mes patients"). Each event becomes a FHIR **Task** owned by the
 * clinician, whose `focus` is the resource that arrived: the inbox's state is kept on the server, in a
 * standard resource, and follows Task's own status —
 *   requested = unread, in-progress = read, completed = acknowledged (with who and when).
 * One Task per resource version (`identifier` = the versioned reference, written with If-None-Exist), so an
 * event delivered twice (at least once) or received by two tabs makes one item, and a corrected result is
 * a new one.
 */
export const INBOX_IDENTIFIER = 'urn:carnet:clinique-inbox';
export const INBOX_KIND = 'urn:carnet:clinique-inbox-kind';
const TOPIC_BASE = 'urn:carnet:SubscriptionTopic';
const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const FILTER_CRITERIA = `${BACKPORT}/backport-filter-criteria`;
export const PAYLOAD_CONTENT = `${BACKPORT}/backport-payload-content`;
/** Task filters: the clinician's inbox items only (not other Tasks they own). */
export const INBOX_PATIENT_LIMIT = 100;

export const INBOX_TOPICS = [
  { topic: 'lab-result', type: 'Observation' },
  { topic: 'diagnostic-report', type: 'DiagnosticReport' },
  { topic: 'document', type: 'DocumentReference' },
  { topic: 'medication-dispense', type: 'MedicationDispense' },
  { topic: 'encounter', type: 'Encounter' },
  // Not yet 'monitoring-alert' (Flag): remote monitoring (C12) does not exist, and the topic's criteria
  // (Flag?status=active) is refused today — R4 gives Flag no status search parameter. Alerts are
  // recognised (kind 'alert') as soon as the topic is added here.
] as const;

export type InboxKind = 'result' | 'result-corrected' | 'report' | 'report-corrected' | 'document' | 'dispense' | 'admission' | 'discharge' | 'alert';
export type InboxState = 'unread' | 'read' | 'acknowledged';

/** How the workspace recognises its own subscriptions among the organisation's. */
export function inboxReason(fhirUser: string): string {
  return `Carnet clinique — notifications of ${fhirUser}`;
}

function filterOf(type: string, patients: readonly string[]): string {
  return `${type}?patient=${patients.map((p) => (p.startsWith('Patient/') ? p : `Patient/${p}`)).join(',')}`;
}

/** One websocket subscription of a topic, on the clinician's patients (full resources: the Task needs the subject). */
export function inboxSubscription(topic: (typeof INBOX_TOPICS)[number], fhirUser: string, patients: readonly string[]): Subscription {
  return {
    resourceType: 'Subscription', status: 'requested', reason: inboxReason(fhirUser),
    criteria: `${TOPIC_BASE}/${topic.topic}`,
    _criteria: { extension: [{ url: FILTER_CRITERIA, valueString: filterOf(topic.type, patients) }] },
    channel: { type: 'websocket', payload: 'application/fhir+json', _payload: { extension: [{ url: PAYLOAD_CONTENT, valueCode: 'full-resource' }] } },
  } as Subscription;
}

export interface SubscriptionPlan {
  readonly create: Subscription[];
  readonly update: Subscription[];
  readonly keep: Subscription[];
}

/**
 * What to write so the clinician has one live subscription per topic on their current patients: the
 * missing ones are created, those on another list of patients (or off, or in error) written again, the rest kept.
 */
export function planSubscriptions(existing: readonly Subscription[], fhirUser: string, patients: readonly string[]): SubscriptionPlan {
  const mine = existing.filter((s) => s.reason === inboxReason(fhirUser) && s.channel?.type === 'websocket');
  const plan: SubscriptionPlan = { create: [], update: [], keep: [] };
  if (patients.length === 0) return plan;
  const list = [...new Set(patients)].sort().slice(0, INBOX_PATIENT_LIMIT);
  for (const topic of INBOX_TOPICS) {
    const wanted = inboxSubscription(topic, fhirUser, list);
    const found = mine.find((s) => s.criteria === wanted.criteria);
    if (!found) plan.create.push(wanted);
    else if (filterOfSubscription(found) !== filterOfSubscription(wanted) || found.status === 'off' || found.status === 'error') plan.update.push({ ...wanted, id: found.id as string });
    else plan.keep.push(found);
  }
  return plan;
}

function filterOfSubscription(s: Subscription): string | undefined {
  return (s as Subscription & { _criteria?: { extension?: { url: string; valueString?: string }[] } })._criteria?.extension?.find((x) => x.url === FILTER_CRITERIA)?.valueString;
}

/** The resources a notification Bundle carries (a handshake or a heartbeat carries none). */
export function notifiedResources(bundle: Bundle): Resource[] {
  const status = bundle.entry?.[0]?.resource as Parameters | undefined;
  const type = status?.parameter?.find((p) => p.name === 'type')?.valueCode;
  if (type !== 'event-notification' && type !== 'query-event') return [];
  return (bundle.entry ?? []).slice(1).map((e) => e.resource).filter((r): r is Resource => Boolean(r?.id) && r?.resourceType !== 'Parameters');
}

const CORRECTED = new Set(['amended', 'corrected', 'appended']);

export function kindOf(resource: Resource): InboxKind | undefined {
  switch (resource.resourceType) {
    case 'Observation': return CORRECTED.has((resource as Observation).status) ? 'result-corrected' : 'result';
    case 'DiagnosticReport': return CORRECTED.has((resource as DiagnosticReport).status) ? 'report-corrected' : 'report';
    case 'DocumentReference': return 'document';
    case 'MedicationDispense': return 'dispense';
    case 'Encounter': return (resource as Encounter).status === 'finished' ? 'discharge' : 'admission';
    case 'Flag': return 'alert';
    default: return undefined;
  }
}

function subjectOf(resource: Resource): string | undefined {
  return (resource as { subject?: { reference?: string } }).subject?.reference;
}

export function versionedReference(resource: Resource): string {
  return `${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId ?? '1'}`;
}

/** The inbox item a notified resource makes, and the If-None-Exist query that keeps it one. */
export function taskFor(resource: Resource, fhirUser: string, now: Date): { task: Task; ifNoneExist: string } | undefined {
  const kind = kindOf(resource);
  const subject = subjectOf(resource);
  if (!kind || !subject?.startsWith('Patient/')) return undefined;
  const value = versionedReference(resource);
  const task: Task = {
    resourceType: 'Task', status: 'requested', intent: 'order',
    identifier: [{ system: INBOX_IDENTIFIER, value }],
    code: { coding: [{ system: INBOX_KIND, code: kind }], text: kind },
    focus: { reference: `${resource.resourceType}/${resource.id}` },
    for: { reference: subject },
    owner: { reference: fhirUser },
    authoredOn: now.toISOString(),
  };
  // What it said when it arrived (a later correction is an item of its own; the focus reads as it now stands).
  const label = focusLabel(resource);
  if (label) task.description = label;
  return { task, ifNoneExist: `identifier=${encodeURIComponent(`${INBOX_IDENTIFIER}|${value}`)}&owner=${encodeURIComponent(fhirUser)}` };
}

export function stateOf(task: Task): InboxState {
  if (task.status === 'completed') return 'acknowledged';
  if (task.status === 'in-progress') return 'read';
  return 'unread';
}

/** The Task with a new state: read, back to unread, or acknowledged (by whom, when). */
export function withState(task: Task, state: InboxState, fhirUser: string, now: Date): Task {
  const status = state === 'acknowledged' ? 'completed' : state === 'read' ? 'in-progress' : 'requested';
  const next: Task = { ...task, status, lastModified: now.toISOString() };
  if (state === 'acknowledged') return { ...next, executionPeriod: { ...(task.executionPeriod ?? {}), end: now.toISOString() }, requester: task.requester ?? { reference: fhirUser } };
  const { executionPeriod: _, ...rest } = next;
  return rest as Task;
}

export type InboxFilter = 'open' | 'unread' | 'all';

/** The inbox search: the clinician's items, newest first, with what they are about and the patient. */
export function inboxQuery(fhirUser: string, filter: InboxFilter): string {
  const q = new URLSearchParams({ owner: fhirUser, identifier: `${INBOX_IDENTIFIER}|` });
  if (filter === 'open') q.set('status', 'requested,in-progress');
  if (filter === 'unread') q.set('status', 'requested');
  q.set('_sort', '-authored-on');
  q.set('_count', '50');
  return `Task?${q.toString()}&_include=Task:focus&_include=Task:subject`;
}

export interface InboxItem {
  readonly task: Task;
  readonly kind: InboxKind;
  readonly state: InboxState;
  readonly patientId: string;
  readonly patientName?: string;
  readonly focus?: Resource;
  /** What the resource said when it arrived (Task.description), else what it says now. */
  readonly label?: string;
  readonly when: string;
  readonly acknowledgedAt?: string;
}

function patientName(p: Patient | undefined): string | undefined {
  const n = p?.name?.[0];
  const text = n ? [...(n.given ?? []), n.family].filter(Boolean).join(' ') : '';
  return text || undefined;
}

export function inboxItems(bundle: Bundle): InboxItem[] {
  const resources = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is Resource => Boolean(r));
  const byRef = new Map(resources.map((r) => [`${r.resourceType}/${r.id}`, r]));
  return resources.filter((r): r is Task => r.resourceType === 'Task' && (r.identifier ?? []).some((i) => i.system === INBOX_IDENTIFIER)).map((task) => {
    const patientRef = task.for?.reference ?? '';
    const code = task.code?.coding?.find((c) => c.system === INBOX_KIND)?.code as InboxKind | undefined;
    const focus = task.focus?.reference ? byRef.get(task.focus.reference) : undefined;
    const name = patientName(byRef.get(patientRef) as Patient | undefined);
    return {
      task, kind: code ?? 'result', state: stateOf(task), patientId: patientRef.replace('Patient/', ''),
      ...(name ? { patientName: name } : {}), ...(focus ? { focus } : {}),
      ...(task.description ?? focusLabel(focus) ? { label: (task.description ?? focusLabel(focus)) as string } : {}),
      when: task.authoredOn ?? task.meta?.lastUpdated ?? '',
      ...(task.status === 'completed' && task.executionPeriod?.end ? { acknowledgedAt: task.executionPeriod.end } : {}),
    };
  });
}

/** What the focus says in one line (its code, its value, its type), in the words the record has. */
export function focusLabel(focus: Resource | undefined): string | undefined {
  if (!focus) return undefined;
  const concept = (c: { text?: string; coding?: { display?: string; code?: string }[] } | undefined) => c?.text ?? c?.coding?.[0]?.display ?? c?.coding?.[0]?.code;
  switch (focus.resourceType) {
    case 'Observation': {
      const o = focus as Observation;
      const q = o.valueQuantity;
      const value = q?.value !== undefined ? `${q.value}${q.unit ? ` ${q.unit}` : ''}` : o.valueString ?? concept(o.valueCodeableConcept);
      return [concept(o.code), value].filter(Boolean).join(' : ');
    }
    case 'DiagnosticReport': return concept((focus as DiagnosticReport).code);
    case 'DocumentReference': return (focus as DocumentReference).description ?? concept((focus as DocumentReference).type);
    case 'MedicationDispense': return concept((focus as MedicationDispense).medicationCodeableConcept);
    case 'Encounter': return concept((focus as Encounter).serviceType) ?? concept((focus as Encounter).type?.[0]) ?? (focus as Encounter).class?.display;
    case 'Flag': return concept((focus as Flag).code);
    default: return undefined;
  }
}

/** The binding token's answer ($get-ws-binding-token). */
export function bindingOf(params: Parameters): { token: string; url: string } | undefined {
  const token = params.parameter?.find((p) => p.name === 'token')?.valueString;
  const url = params.parameter?.find((p) => p.name === 'websocket-url')?.valueUrl ?? params.parameter?.find((p) => p.name === 'websocket-url')?.valueString;
  return token && url ? { token, url } : undefined;
}
