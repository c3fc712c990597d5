import { readCurrent, visibleCurrent } from '../../storage/resource-store.js';
import {
  everythingPage, everythingPageQuery as pageQuery, personOfRecord, referencedDirectory, type EverythingPage, type RecordRow,
} from '../../storage/everything-store.js';
import { searchBundleJson } from '../search/bundle.js';
import { allCompartmentKeys } from '../search/compartment.js';
import { decodeSearchCursor, encodeSearchCursor, sortFingerprint } from '../search/cursor.js';
import type { SearchRow } from '../search/execute.js';
import type { SearchPlan } from '../search/model.js';
import { searchRegistry } from '../search/registry.js';
import type { Visibility } from '../../storage/sql/visibility.js';
import { fhirDefinitions } from '../definitions.js';
import { parseHistoryInstant } from '../interactions/dates.js';
import { errors } from '../outcomes.js';
import { MAX_PAGE_SIZE } from '../paging.js';
import { linkedPatientIds } from '../../mpi/store/link-store.js';
import type { Handler } from '../router/types.js';
import { traceRows } from '../../audit/trail.js';

/**
 * GET Patient/[id]/$everything — the patient, every resource in their compartment, and the resources
 * those refer to that belong to no patient (practitioners, organisations, medications, locations), paged
 * in write order. `_since`, `_type` and `_count` as R4 defines them.
 */
export const EVERYTHING_DEFAULT_COUNT = 200;
const PARAMS = new Set(['_since', '_type', '_count', '_cursor', '_format', '_pretty']);

let compartmentKeys: number[] | undefined;
let referenceKeys: Map<string, number[]> | undefined;

function referenceKeysOf(type: string): number[] {
  referenceKeys ??= new Map();
  let keys = referenceKeys.get(type);
  if (!keys) {
    keys = [...searchRegistry().params(type).values()].filter((p) => p.type === 'reference').map((p) => p.key);
    referenceKeys.set(type, keys);
  }
  return keys;
}

/** One page of `$everything` for these patients (its SQL: storage/everything-store.ts). */
export function everythingPageQuery(page: Omit<EverythingPage, 'compartmentKeys'>): { text: string; params: unknown[] } {
  compartmentKeys ??= allCompartmentKeys();
  return pageQuery({ ...page, compartmentKeys });
}

const toRow = (row: RecordRow): SearchRow => ({ ...row, sortValues: [] });

export const everything: Handler = async ({ request, ctx, reader, params }) => {
  const type = params.type as string;
  const id = params.id as string;
  if (type !== 'Patient') throw errors.notFound(`$everything is defined on Patient (not ${type})`);
  for (const name of request.query.keys()) if (!PARAMS.has(name)) throw errors.invalid(`$everything does not take the parameter "${name}"`);
  const patient = await readCurrent(reader, 'Patient', id);
  if (!patient) throw errors.notFound(`Patient/${id} does not exist`);
  if (patient.deleted) throw errors.gone(`Patient/${id} was deleted`);
  const visibility = request.visibility;
  if (visibility && (await visibleCurrent(reader, 'Patient', [id], visibility)).length === 0) throw errors.notFound(`Patient/${id} does not exist`);

  const countRaw = request.query.get('_count');
  const count = countRaw === null ? EVERYTHING_DEFAULT_COUNT : Math.min(Number(countRaw), MAX_PAGE_SIZE);
  if (!Number.isInteger(count) || count < 1) throw errors.invalid('_count must be a positive integer');
  const since = request.query.get('_since');
  const types = request.query.get('_type')?.split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of types ?? []) if (!fhirDefinitions().resourceTypes.has(t)) throw errors.invalid(`_type: unknown resource type ${t}`);
  const fingerprint = sortFingerprint('Patient/$everything', []);
  const rawCursor = request.query.get('_cursor');
  const cursor = rawCursor ? decodeSearchCursor(rawCursor, fingerprint, 0) : undefined;
  if (cursor?.direction === 'prev') throw errors.invalid('$everything pages forward only');

  // One person, one record: with the master patient index, every source record of the person.
  const ids = ctx.mpi ? await linkedPatientIds(reader, id) : [id];
  compartmentKeys ??= allCompartmentKeys();
  const rows = await everythingPage(reader, {
    patientIds: ids, compartmentKeys, count, ...(since ? { since: parseHistoryInstant(since, '_since') } : {}), ...(types ? { types } : {}),
    ...(cursor ? { afterRid: cursor.rid } : {}), ...(visibility ? { visibility } : {}),
  });
  const matches = rows.slice(0, count).map(toRow);
  const more = rows.length > count;
  const included = [
    ...(cursor || (types && !types.includes('Person')) ? [] : (await personOfRecord(reader, id, visibility)).map(toRow)),
    ...(await directoryOf(reader, matches, types, visibility)),
  ];
  traceRows(request.audit, matches, included);
  const last = matches[matches.length - 1];
  const plan = { summary: undefined, elements: undefined, ignored: [] } as unknown as SearchPlan;
  const body = searchBundleJson(
    { fhirBaseUrl: ctx.fhirBaseUrl, path: `Patient/${id}/$everything`, query: request.query },
    plan,
    {
      matches, included, warnings: [],
      total: !cursor && !more ? matches.length : undefined,
      next: more && last ? encodeSearchCursor({ direction: 'next', values: [], rid: last.rid }, fingerprint) : undefined,
      previous: undefined,
    },
  );
  return { status: 200, body };
};

/** Resources outside any patient compartment that the page refers to (one query for the page). */
async function directoryOf(
  reader: Parameters<Handler>[0]['reader'], page: readonly SearchRow[], types: string[] | undefined, visibility: Visibility | undefined,
): Promise<SearchRow[]> {
  const keys = [...new Set(page.flatMap((r) => referenceKeysOf(r.resourceType)))];
  return (await referencedDirectory(reader, page.map((r) => r.rid), keys, types, visibility)).map(toRow);
}
