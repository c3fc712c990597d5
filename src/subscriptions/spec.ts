import type { Subscription } from '@medplum/fhirtypes';
import { fhirDefinitions } from '../fhir/definitions.js';
import { FhirError, issue } from '../fhir/outcomes.js';
import { parseSearch } from '../fhir/search/parse/request.js';
import type { SearchPlan } from '../fhir/search/model.js';
import { searchRegistry } from '../fhir/search/registry.js';
import { compileTopic, topicOf } from './topics.js';
import { criteriaKeys } from './criteria-index.js';

/**
 * What Carnet needs from a Subscription resource (pure): the criteria split into a resource type (the
 * matcher's index) and a search, the rest-hook channel, and the payload. Everything a client can get
 * wrong is refused here, before anything is stored (422 with the element at fault).
 */
export type PayloadContent = 'empty' | 'id-only' | 'full-resource';
export type SubscriptionStatus = 'requested' | 'active' | 'error' | 'off';

export type ChannelType = 'rest-hook' | 'websocket';

export interface Channel {
  readonly type: ChannelType;
  /** The rest-hook's URL; empty for a websocket (the subscriber connects to Carnet). */
  readonly endpoint: string;
  /** `Name: value` headers sent with every notification (Authorization, say). */
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  /** Which notification: none in the body (R4 without payload), or a history Bundle of this content. */
  readonly content: PayloadContent;
  /** The payload's MIME type; undefined: R4's "no payload", a POST with an empty body. */
  readonly mime: string | undefined;
  /** Backport `heartbeatPeriod` (seconds): a heartbeat when nothing else was sent for that long. */
  readonly heartbeatSeconds?: number;
}

export interface SubscriptionSpec {
  readonly resourceType: string;
  /** The criteria's query string, as given (after the "?"). */
  readonly criteria: string;
  readonly status: SubscriptionStatus;
  readonly channel: Channel;
  readonly end: string | undefined;
  /** The patients the criteria pin (see patientKeys), the index's second key. */
  readonly patientKeys: readonly string[] | undefined;
  /** Without patient keys: the token or reference values one condition requires (criteria-index.ts), the index's third key. */
  readonly criteriaKeys: readonly string[] | undefined;
  /** The topic's canonical URL, for a topic-based (R5 Backport) subscription. */
  readonly topic: string | undefined;
}

export const PAYLOAD_CONTENT_URL = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content';
export const HEARTBEAT_PERIOD_URL = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-heartbeat-period';
/** Heartbeats closer than this would only load the endpoint (and the audit trail, which records each). */
export const MIN_HEARTBEAT_SECONDS = 10;
export const FILTER_CRITERIA_URL = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria';
const MIMES = new Set(['application/fhir+json', 'application/json']);
const STATUSES = new Set<SubscriptionStatus>(['requested', 'active', 'error', 'off']);
const CONTENTS = new Set<PayloadContent>(['empty', 'id-only', 'full-resource']);
/** Search parameters that shape a result page, not which resources match. */
const RESULT_PARAMETERS = new Set(['_include', '_revinclude', '_sort', '_count', '_summary', '_elements', '_total', '_contained', '_containedType', '_cursor']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the transport owns: a subscription may not set them. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'expect']);
/** Types whose changes are never notified: the subscriptions themselves and the audit trail (no feedback loops). */
export const UNSUBSCRIBABLE_TYPES: readonly string[] = ['Subscription', 'AuditEvent'];

export function refuse(text: string, expression: string): FhirError {
  return new FhirError('unprocessable', text, [issue('error', 'invalid', text, [expression])]);
}

/** Splits `Type?query` and checks that it is a search Carnet can run (the same parser as the search API). */
export function parseCriteria(raw: unknown, baseUrl: string): { resourceType: string; criteria: string; plan: SearchPlan } {
  if (typeof raw !== 'string' || raw.trim() === '') throw refuse('Subscription.criteria is required: a search such as Observation?patient=Patient/123', 'Subscription.criteria');
  const text = raw.trim();
  const at = text.indexOf('?');
  const resourceType = at < 0 ? text : text.slice(0, at);
  const criteria = at < 0 ? '' : text.slice(at + 1);
  if (!fhirDefinitions().resourceTypes.has(resourceType)) throw refuse(`Subscription.criteria: "${resourceType}" is not a FHIR resource type`, 'Subscription.criteria');
  if (UNSUBSCRIBABLE_TYPES.includes(resourceType)) throw refuse(`Subscription.criteria: changes of ${resourceType} are not notified`, 'Subscription.criteria');
  const params = [...new URLSearchParams(criteria).entries()];
  for (const [name] of params) {
    if (RESULT_PARAMETERS.has(name.split(':')[0] as string)) throw refuse(`Subscription.criteria: ${name} shapes a result page; a subscription's criteria only select resources`, 'Subscription.criteria');
  }
  let plan: SearchPlan;
  try {
    plan = parseSearch(resourceType, params, { baseUrl });
  } catch (error) {
    if (error instanceof FhirError) throw refuse(`Subscription.criteria is not a valid search: ${error.message}`, 'Subscription.criteria');
    throw error;
  }
  return { resourceType, criteria, plan };
}

/**
 * The search that decides whether changed resources match: the criteria, with no paging or includes.
 * The matcher adds the changed ids and the owner's visibility when it runs it.
 */
export function matchingPlan(resourceType: string, criteria: string, baseUrl: string, limit: number): SearchPlan {
  const { plan } = parseCriteria(`${resourceType}${criteria ? `?${criteria}` : ''}`, baseUrl);
  return { ...plan, count: limit, total: 'none', sort: [], include: [], revinclude: [], cursor: undefined, summary: undefined, elements: undefined };
}

function parseHeaders(raw: unknown): Channel['headers'] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw refuse('Subscription.channel.header must be a list of "Name: value" strings', 'Subscription.channel.header');
  return raw.map((line: unknown, i) => {
    const where = `Subscription.channel.header[${i}]`;
    if (typeof line !== 'string') throw refuse(`${where} must be a string "Name: value"`, where);
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    const value = colon > 0 ? line.slice(colon + 1).trim() : '';
    if (!HEADER_NAME.test(name)) throw refuse(`${where} must read "Name: value"`, where);
    if (/[\r\n\0]/.test(value)) throw refuse(`${where}: a header value may not contain line breaks`, where);
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw refuse(`${where}: ${name} is set by Carnet, not by the subscription`, where);
    return { name, value };
  });
}

function parsePayload(channel: NonNullable<Subscription['channel']>): Pick<Channel, 'content' | 'mime'> {
  const mime = channel.payload;
  const extension = (channel as { _payload?: { extension?: { url?: string; valueCode?: string }[] } })._payload?.extension?.find((e) => e.url === PAYLOAD_CONTENT_URL);
  const declared = extension?.valueCode;
  if (declared !== undefined && !CONTENTS.has(declared as PayloadContent)) {
    throw refuse(`Subscription.channel.payload: content "${declared}" is not one of empty, id-only, full-resource`, 'Subscription.channel.payload');
  }
  if (mime === undefined) {
    if (declared !== undefined) throw refuse('Subscription.channel.payload: a payload content needs a MIME type (application/fhir+json)', 'Subscription.channel.payload');
    return { content: 'empty', mime: undefined };
  }
  const base = mime.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!MIMES.has(base)) throw refuse(`Subscription.channel.payload: Carnet sends application/fhir+json, not "${mime}"`, 'Subscription.channel.payload');
  return { content: (declared as PayloadContent | undefined) ?? 'full-resource', mime: base };
}

/** The spec of a Subscription as a client wrote it; throws a 422 FhirError naming the element at fault. */
export function parseSubscription(resource: Subscription, baseUrl: string): SubscriptionSpec {
  const status = resource.status as SubscriptionStatus | undefined;
  if (!status || !STATUSES.has(status)) throw refuse('Subscription.status must be requested, active, error or off', 'Subscription.status');
  const { text, topic } = topicCriteria(resource);
  const { resourceType, criteria, plan } = parseCriteria(text, baseUrl);
  const channel = resource.channel;
  if (!channel) throw refuse('Subscription.channel is required', 'Subscription.channel');
  if (channel.type !== 'rest-hook' && channel.type !== 'websocket') {
    throw refuse(`Subscription.channel.type: Carnet delivers by rest-hook or websocket, not "${String(channel.type)}"`, 'Subscription.channel.type');
  }
  const heartbeat = heartbeatOf(channel);
  if (channel.type === 'websocket') {
    // The subscriber connects to Carnet ($get-ws-binding-token, then bind-with-token): no endpoint, no headers.
    const payload = parsePayload(channel);
    return {
      resourceType, criteria, status,
      channel: { type: 'websocket', endpoint: '', headers: [], content: payload.mime === undefined ? 'empty' : payload.content, mime: 'application/fhir+json', ...heartbeat },
      end: resource.end, ...keysOf(plan), topic,
    };
  }
  if (typeof channel.endpoint !== 'string' || channel.endpoint === '') throw refuse('Subscription.channel.endpoint is required for a rest-hook', 'Subscription.channel.endpoint');
  return {
    resourceType, criteria, status,
    channel: { type: 'rest-hook', endpoint: channel.endpoint, headers: parseHeaders(channel.header), ...parsePayload(channel), ...heartbeat },
    end: resource.end, ...keysOf(plan), topic,
  };
}

/** The Backport `heartbeatPeriod` extension on the channel (an unsignedInt of seconds), if any. */
function heartbeatOf(channel: NonNullable<Subscription['channel']>): { heartbeatSeconds?: number } {
  const ext = channel.extension?.find((e) => e.url === HEARTBEAT_PERIOD_URL);
  if (!ext) return {};
  const value = ext.valueUnsignedInt;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_HEARTBEAT_SECONDS || value > 86_400) {
    throw refuse(`Subscription.channel: heartbeatPeriod is a whole number of seconds from ${MIN_HEARTBEAT_SECONDS} to 86400`, 'Subscription.channel.extension');
  }
  return { heartbeatSeconds: value };
}

/**
 * A topic-based subscription (R5 Backport): `criteria` is a topic's canonical URL and its filters are
 * `_criteria.extension` values; they compile to one search of the topic's type. Otherwise the criteria
 * are the search itself (R4).
 */
function topicCriteria(resource: Subscription): { text: unknown; topic: string | undefined } {
  const raw = resource.criteria;
  if (typeof raw !== 'string' || raw.includes('?') || !/^[a-z][a-z0-9+.-]*:/i.test(raw)) return { text: raw, topic: undefined };
  const topic = topicOf(raw.split('|')[0] as string);
  if (!topic) throw refuse(`Subscription.criteria: "${raw}" is not a topic Carnet publishes (the CapabilityStatement lists them)`, 'Subscription.criteria');
  const extensions = (resource as { _criteria?: { extension?: { url?: string; valueString?: unknown }[] } })._criteria?.extension ?? [];
  const filters = extensions.filter((e) => e.url === FILTER_CRITERIA_URL).map((e) => e.valueString);
  if (filters.some((f) => typeof f !== 'string')) throw refuse('Subscription.criteria: a filter criteria is a string such as Observation?patient=Patient/123', 'Subscription.criteria');
  const compiled = compileTopic(topic, filters as string[]);
  if ('problem' in compiled) throw refuse(`Subscription.criteria: ${compiled.problem}`, 'Subscription.criteria');
  return { text: `${topic.resourceType}?${compiled.criteria}`, topic: topic.url };
}

/** The index keys of a plan: its patients, or else the values one of its conditions requires. */
function keysOf(plan: SearchPlan): { patientKeys: string[] | undefined; criteriaKeys: string[] | undefined } {
  const patients = patientKeys(plan);
  return { patientKeys: patients, criteriaKeys: patients ? undefined : criteriaKeys(plan) };
}

/**
 * The patients a subscription's criteria pin (`Patient/id`), or undefined when they pin none: the second
 * key of the matcher's index. Taken only from a condition on `patient` or `subject` of a type whose
 * compartment (the patient of a change event) is decided by that same element — so a change of another
 * patient can never match the criteria, and skipping it is exact.
 */
export function patientKeys(plan: SearchPlan): string[] | undefined {
  const first = fhirDefinitions().patientCompartmentParams(plan.resourceType)[0];
  if (first !== 'subject' && first !== 'patient') return undefined;
  const wanted = new Set(['patient', 'subject'].map((code) => searchRegistry().param(plan.resourceType, code)?.key).filter((k) => k !== undefined));
  for (const condition of plan.conditions) {
    if (condition.kind !== 'index' || condition.negate || condition.table !== 'search_reference' || !wanted.has(condition.key)) continue;
    const targets: (string | undefined)[] = condition.tests.flatMap((t) => (t.type === 'reference' ? [...t.targets] : [undefined]));
    if (targets.length > 0 && targets.every((t) => t !== undefined && /^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(t))) return [...new Set(targets as string[])].sort();
  }
  return undefined;
}
