import type { Patient, Resource } from '@medplum/fhirtypes';
import { checkRead } from '../access.js';
import { traceRows } from '../../audit/trail.js';
import { assembleDocument, IPS, missingTargets } from '../../documents/ips/document.js';
import { refOf } from '../../documents/ips/facts.js';
import { nameUuid } from '../../documents/ips/references.js';
import { DEFAULT_RULES } from '../../documents/ips/rules.js';
import { SUMMARY_SOURCE_TYPES } from '../../documents/ips/sections.js';
import { selectSections } from '../../documents/ips/selection.js';
import { negotiateLanguage } from '../../documents/language.js';
import { loadPersonRecord, loadReferenced } from '../../documents/record-store.js';
import { linkedPatientIds } from '../../mpi/store/link-store.js';
import { readCurrent } from '../../storage/resource-store.js';
import { errors } from '../outcomes.js';
import type { Handler, HandlerInput } from '../router/types.js';
import { resolvePatientByIdentifier } from './patient-identifier.js';

/**
 * GET Patient/[id]/$summary and GET Patient/$summary?identifier=… — the International Patient Summary
 * (IPS 2.0.0) of the whole person: every source record the MPI links, each section chosen by its rule
 * (src/documents/ips/rules.ts), what consent hides left out and said so, narratives in the reader's
 * language. Reads like a read: a patient the reader may not see answers 403/404 as `GET Patient/[id]` would.
 */
const PARAMS = new Set(['_language', 'profile', '_format', '_pretty']);
/** Person-compartment types a summary carries along when an entry refers to them. */
const CARRIED = ['Device', 'Specimen', 'Medication', 'Location'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function summarise({ request, ctx, reader }: HandlerInput, id: string): Promise<{ status: number; body: Resource }> {
  const language = request.query.get('_language');
  const lang = negotiateLanguage(language, request.headers.acceptLanguage);
  if (!lang) throw errors.invalid(`_language: Carnet writes summaries in French (fr) or English (en), not "${language}"`);
  const profile = request.query.get('profile');
  if (profile && profile !== IPS.composition) throw errors.notSupported(`profile: Carnet produces ${IPS.composition} only`);

  const row = await readCurrent(reader, 'Patient', id);
  if (!row) throw errors.notFound(`Patient/${id} does not exist`);
  if (row.deleted) throw errors.gone(`Patient/${id} was deleted`);
  await checkRead(request, ctx, reader, row);

  const now = ctx.clock();
  const patientIds = ctx.mpi ? await linkedPatientIds(reader, id) : [id];
  const record = await loadPersonRecord(reader, patientIds, [...SUMMARY_SOURCE_TYPES, ...CARRIED], request.visibility);
  const rules = ctx.summaryRules ?? DEFAULT_RULES;
  const selection = selectSections({
    visible: record.visible.filter((r) => !CARRIED.includes(r.resourceType)), hidden: record.hidden, rules, now,
    subject: `Patient/${id}`, idFor: (key) => nameUuid(`MedicationStatement|${patientIds.join(',')}|${key}`),
  });

  // What the entries refer to, two levels deep (a PractitionerRole, then its Practitioner and Organization).
  const carried = new Map(record.visible.filter((r) => CARRIED.includes(r.resourceType)).map((r) => [refOf(r), r]));
  const held = new Set<string>([...patientIds.map((p) => `Patient/${p}`), ...selection.sections.flatMap((s) => s.entries.map(refOf)), ...selection.supporting.map(refOf)]);
  const referenced: Resource[] = [];
  let frontier: Resource[] = [...selection.sections.flatMap((s) => s.entries), ...selection.supporting];
  for (let depth = 0; depth < 2 && frontier.length > 0; depth++) {
    const wanted = missingTargets(frontier, held, ctx.fhirBaseUrl);
    const local = wanted.map((t) => carried.get(t)).filter((r): r is Resource => r !== undefined);
    const fetched = await loadReferenced(reader, wanted.filter((t) => !carried.has(t) && !CARRIED.includes(t.split('/')[0] ?? '')), patientIds, CARRIED, request.visibility);
    frontier = [...local, ...fetched];
    for (const r of frontier) held.add(refOf(r));
    for (const t of wanted) held.add(t);
    referenced.push(...frontier);
  }

  const rawId = ctx.newId();
  const bundle = assembleDocument({
    patient: JSON.parse(row.content as string) as Patient, patientIds, selection, referenced, lang, now,
    fhirBaseUrl: ctx.fhirBaseUrl, documentId: UUID.test(rawId) ? rawId.toLowerCase() : nameUuid(rawId),
  });
  // The trail names the stored resources the document shows (a generated statement is its sources).
  const shown = [{ resourceType: 'Patient', id, patientId: id }, ...[...selection.sections.flatMap((s) => s.entries), ...selection.supporting]
    .filter((r) => record.patientOf.has(refOf(r)))
    .map((r) => ({ resourceType: r.resourceType, id: r.id as string, patientId: record.patientOf.get(refOf(r)) ?? null }))];
  traceRows(request.audit, shown);
  return { status: 200, body: bundle };
}

function checkParams(query: URLSearchParams, extra: string[] = []): void {
  for (const name of query.keys()) if (!PARAMS.has(name) && !extra.includes(name)) throw errors.invalid(`$summary does not take the parameter "${name}"`);
}

export const patientSummary: Handler = async (input) => {
  checkParams(input.request.query);
  return summarise(input, input.params.id as string);
};

/** `Patient/$summary?identifier=system|value` (the IPS IG's patient selection by identifier). */
export const patientSummaryByIdentifier: Handler = async (input) => {
  checkParams(input.request.query, ['identifier']);
  const identifier = input.request.query.get('identifier');
  if (!identifier) throw errors.invalid('Patient/$summary needs identifier=system|value (or use Patient/[id]/$summary)');
  const id = await resolvePatientByIdentifier(input, identifier);
  return summarise(input, id);
};
