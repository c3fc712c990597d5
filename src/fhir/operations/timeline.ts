import type { Bundle, BundleEntry, Extension, Resource } from '@medplum/fhirtypes';
import { checkRead } from '../access.js';
import { traceRows } from '../../audit/trail.js';
import { buildEvents, TIMELINE_TYPES, timelinePage, type TimelineEvent } from '../../documents/timeline/events.js';
import { eventLabel } from '../../documents/timeline/labels.js';
import { hasPdfOnlyTag, PDF_ONLY_LABEL } from '../../documents/pdf-only.js';
import { encodeTimelineCursor, parseTimelineQuery, TimelineQueryError } from '../../documents/timeline/query.js';
import { languageTag, negotiateLanguage, type Lang } from '../../documents/language.js';
import { loadByRid, loadTimelineFacts, sourceOrganizations, type TimelineKeys } from '../../documents/record-store.js';
import { linkedPatientIds } from '../../mpi/store/link-store.js';
import { readCurrent } from '../../storage/resource-store.js';
import { searchLinks } from '../search/bundle.js';
import { searchRegistry } from '../search/registry.js';
import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';

/**
 * GET Patient/[id]/$timeline — the person's clinical events from every source record the MPI links,
 * newest first, in keyset pages (docs/documents.md#the-timeline-timeline). Decided like a read of the
 * Patient, then every event through the visibility condition of search; audited with what the page showed.
 */
export const TIMELINE_EVENT_URL = 'urn:carnet:extension:timeline-event';

let keys: TimelineKeys | undefined;

function timelineKeys(): TimelineKeys {
  if (keys) return keys;
  const registry = searchRegistry();
  const keyOf = (type: string, code: string): number => {
    const param = registry.param(type, code);
    if (!param) throw new Error(`timeline: the search parameter ${type}.${code} is not indexed`);
    return param.key;
  };
  const types = Object.keys(TIMELINE_TYPES);
  keys = {
    types,
    // One list for every type: a resource only has rows of its own type's parameters, so the order within
    // a type is the order of preference.
    dates: types.flatMap((t) => (TIMELINE_TYPES[t]?.dates ?? []).map((code) => keyOf(t, code))),
    statuses: types.map((t) => keyOf(t, 'status')),
    observationCategory: keyOf('Observation', 'category'),
    observationDevice: keyOf('Observation', 'device'),
  };
  return keys;
}

function entryOf(event: TimelineEvent, resource: Resource, fhirBaseUrl: string, lang: Lang): BundleEntry {
  const base = eventLabel(resource, event.category, event.members.length);
  // A result that came as a PDF only says so in its label and in a part of its own (documents/pdf-only.ts).
  const pdfOnly = hasPdfOnlyTag(resource);
  const label = pdfOnly ? { fr: `${base.fr} (${PDF_ONLY_LABEL.fr})`, en: `${base.en} (${PDF_ONLY_LABEL.en})` } : base;
  const parts: Extension[] = [
    { url: 'date', valueDateTime: new Date(event.at).toISOString() },
    { url: 'category', valueCode: event.category },
    { url: 'label', valueString: label[lang] },
    { url: 'label-fr', valueString: label.fr },
    { url: 'label-en', valueString: label.en },
    ...(event.dated ? [] : [{ url: 'dated', valueBoolean: false }]),
    ...(pdfOnly ? [{ url: 'pdf-only', valueBoolean: true }] : []),
    ...(event.source ? [{ url: 'source', valueReference: { reference: event.source } }] : []),
    ...(event.members.length > 1 ? [
      { url: 'count', valueInteger: event.members.length },
      ...event.members.map((m) => ({ url: 'member', valueReference: { reference: `${m.resourceType}/${m.id}` } })),
    ] : []),
  ];
  return {
    fullUrl: `${fhirBaseUrl}/${resource.resourceType}/${resource.id}`,
    resource,
    search: { mode: 'match' },
    extension: [{ url: TIMELINE_EVENT_URL, extension: parts }],
  } as BundleEntry;
}

export const patientTimeline: Handler = async ({ request, ctx, reader, params }) => {
  const id = params.id as string;
  let query;
  try {
    query = parseTimelineQuery(request.query);
  } catch (e) {
    if (e instanceof TimelineQueryError) throw errors.invalid(e.message);
    throw e;
  }
  const language = request.query.get('_language');
  const lang = negotiateLanguage(language, request.headers.acceptLanguage);
  if (!lang) throw errors.invalid(`_language: Carnet writes timelines in French (fr) or English (en), not "${language}"`);

  const row = await readCurrent(reader, 'Patient', id);
  if (!row) throw errors.notFound(`Patient/${id} does not exist`);
  if (row.deleted) throw errors.gone(`Patient/${id} was deleted`);
  await checkRead(request, ctx, reader, row);

  const patientIds = ctx.mpi ? await linkedPatientIds(reader, id) : [id];
  const [facts, sources] = await Promise.all([
    loadTimelineFacts(reader, patientIds, timelineKeys(), request.visibility),
    sourceOrganizations(reader, patientIds, searchRegistry().param('Patient', 'organization')?.key ?? 0),
  ]);
  const events = buildEvents(facts, (patientId) => sources.get(patientId) ?? null);
  const page = timelinePage(events, query.filter, query.count, query.after);
  // The newest member stands for a day of device readings; the others are named in the event.
  const contents = await loadByRid(reader, page.events.map((e) => (e.members[0] as { rid: string }).rid));
  const entries: BundleEntry[] = [];
  const shown: { resourceType: string; id: string; patientId: string }[] = [{ resourceType: 'Patient', id, patientId: id }];
  for (const event of page.events) {
    const resource = contents.get(event.members[0]?.rid ?? '');
    if (!resource) continue; // deleted between the two statements: the event is gone
    entries.push(entryOf(event, resource, ctx.fhirBaseUrl, lang));
    shown.push(...event.members.map((m) => ({ resourceType: m.resourceType, id: m.id, patientId: m.patientId })));
  }
  traceRows(request.audit, shown);
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    timestamp: ctx.clock().toISOString(),
    language: languageTag(lang),
    link: searchLinks({ fhirBaseUrl: ctx.fhirBaseUrl, path: `Patient/${id}/$timeline`, query: request.query }, { next: page.next ? encodeTimelineCursor(page.next) : undefined, previous: undefined }),
    entry: entries,
  };
  return { status: 200, body: bundle };
};
