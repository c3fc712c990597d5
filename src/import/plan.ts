import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { ORDER, planEntryWrite } from '../fhir/interactions/bundle-entries.js';
import type { WriteOp } from '../fhir/write/operations.js';

/**
 * How files become writes (pure). Import must be idempotent — loading the same files twice creates nothing
 * new — while source bundles (Synthea's, for one) POST everything with `urn:uuid:` fullUrls:
 * - a POST whose fullUrl is `urn:uuid:<uuid>` becomes an update-as-create with that uuid as id, so a second
 *   load finds the same resource with the same content and makes no new version;
 * - directory resources (Organization, Practitioner, …) with an identifier become conditional creates on it,
 *   so the copy every patient bundle carries collapses into one shared resource.
 */

export const DIRECTORY_TYPES: ReadonlySet<string> = new Set([
  'Organization', 'Practitioner', 'PractitionerRole', 'Location', 'HealthcareService', 'Endpoint',
]);

const UUID_URN = /^urn:uuid:([A-Za-z0-9\-.]{1,64})$/;

export interface PlannedBatch {
  readonly ops: WriteOp[];
  /** The Bundle entry each op comes from (for error messages). */
  readonly entryIndexes: number[];
  /** Whether the writes form one transaction (references resolved, integrity checked). */
  readonly transaction: boolean;
  /** Entries that were reads and are skipped. */
  readonly skipped: number;
}

/** Escapes a token search value (`,`, `|`, `$` and `\` are special in FHIR search). */
function escapeToken(value: string): string {
  return value.replace(/[\\,|$]/g, (c) => `\\${c}`);
}

function identifierCriteria(resource: Resource): string | undefined {
  const identifier = (resource as { identifier?: { system?: string; value?: string }[] }).identifier?.find((i) => i.value);
  if (!identifier?.value) return undefined;
  const system = identifier.system ? escapeToken(identifier.system) : '';
  return `identifier=${encodeURIComponent(`${system}|${escapeToken(identifier.value)}`)}`;
}

export function planImportEntry(entry: BundleEntry, index: number): WriteOp | undefined {
  const method = entry.request?.method?.toUpperCase();
  const resource = entry.resource;
  if (method === 'POST' && resource && !entry.request?.ifNoneExist) {
    const fullUrl = entry.fullUrl;
    if (DIRECTORY_TYPES.has(resource.resourceType)) {
      const criteria = identifierCriteria(resource);
      if (criteria) return { kind: 'create', resource, ifNoneExist: criteria, ...(fullUrl ? { fullUrl } : {}) };
    }
    const uuid = fullUrl ? UUID_URN.exec(fullUrl)?.[1] : undefined;
    if (uuid && fullUrl) return { kind: 'update', resourceType: resource.resourceType, id: uuid, resource: { ...resource, id: uuid }, fullUrl };
  }
  return planEntryWrite(entry, index);
}

/** A Bundle from a file: transactions stay transactions; collections and batches are stored entry by entry. */
export function planBundle(bundle: Bundle): PlannedBatch {
  const entries = bundle.entry ?? [];
  const planned: { op: WriteOp; index: number; rank: number }[] = [];
  let skipped = 0;
  entries.forEach((entry, index) => {
    const op = bundle.type === 'transaction' || bundle.type === 'batch' ? planImportEntry(entry, index) : resourceWrite(entry.resource);
    if (op) planned.push({ op, index, rank: ORDER[entry.request?.method?.toUpperCase() ?? 'PUT'] ?? 2 });
    else skipped++;
  });
  planned.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return {
    ops: planned.map((p) => p.op),
    entryIndexes: planned.map((p) => p.index),
    transaction: bundle.type === 'transaction',
    skipped,
  };
}

/** A bare resource (NDJSON line, collection entry): kept under its own id when it has one. */
export function resourceWrite(resource: Resource | undefined): WriteOp | undefined {
  if (!resource) return undefined;
  return resource.id
    ? { kind: 'update', resourceType: resource.resourceType, id: resource.id, resource }
    : { kind: 'create', resource };
}
