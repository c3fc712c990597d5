import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';

/**
 * The population as FHIR exchange formats (pure).
 *
 * Transaction Bundles — one shared Bundle for the directory, one per person:
 * - directory resources (Organization, Practitioner, PractitionerRole) are conditional creates on their
 *   identifier (`ifNoneExist`), so loading twice, or into a server that already knows them, creates no
 *   duplicate; Schedules and Slots are PUT with their generated id;
 * - a person's resources are PUT with their generated id (update-as-create): loading twice changes nothing;
 * - a person's references to the directory are conditional references (`Organization?identifier=…`),
 *   resolved by the server to whatever id the directory resource has there.
 *
 * NDJSON — one line per resource with its id and literal references, as FHIR Bulk Data writes it.
 */

export const CONDITIONAL_TYPES: ReadonlySet<string> = new Set(['Organization', 'Practitioner', 'PractitionerRole']);

type Identified = Resource & { id: string; identifier?: { system?: string; value?: string }[] };

/** Escapes what cannot stand raw in a query string value. */
function queryValue(text: string): string {
  return text.replace(/[%&+#\s]/g, (c) => encodeURIComponent(c));
}

export function identifierCriteria(resource: Identified): string {
  const identifier = resource.identifier?.[0];
  if (!identifier?.system || !identifier.value) throw new Error(`${resource.resourceType}/${resource.id} has no identifier`);
  return `identifier=${queryValue(`${identifier.system}|${identifier.value}`)}`;
}

/** Rewrites every `reference` string found in a resource (a deep copy; the input is left as it is). */
export function mapReferences<T>(value: T, map: (reference: string) => string): T {
  if (Array.isArray(value)) return value.map((v) => mapReferences(v, map)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === 'reference' && typeof v === 'string' ? map(v) : mapReferences(v, map);
    }
    return out as T;
  }
  return value;
}

/** `Type/id` → conditional reference of each directory resource that is created conditionally. */
export function conditionalReferences(directory: readonly Resource[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const r of directory as Identified[]) {
    if (CONDITIONAL_TYPES.has(r.resourceType)) map.set(`${r.resourceType}/${r.id}`, `${r.resourceType}?${identifierCriteria(r)}`);
  }
  return map;
}

export function directoryBundle(directory: readonly Resource[]): Bundle {
  const local = new Map((directory as Identified[]).filter((r) => CONDITIONAL_TYPES.has(r.resourceType)).map((r) => [`${r.resourceType}/${r.id}`, `urn:uuid:${r.id}`]));
  const entry: BundleEntry[] = (directory as Identified[]).map((r) => {
    const body = mapReferences(r, (ref) => local.get(ref) ?? ref);
    if (CONDITIONAL_TYPES.has(r.resourceType)) {
      const { id: _id, ...withoutId } = body;
      return { fullUrl: `urn:uuid:${r.id}`, resource: withoutId as Resource, request: { method: 'POST', url: r.resourceType, ifNoneExist: identifierCriteria(r) } };
    }
    return { fullUrl: `urn:uuid:${r.id}`, resource: body, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } };
  });
  return { resourceType: 'Bundle', type: 'transaction', entry };
}

export function personBundle(resources: readonly Resource[], conditional: ReadonlyMap<string, string>): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: (resources as Identified[]).map((r) => ({
      fullUrl: `urn:uuid:${r.id}`,
      resource: mapReferences(r, (ref) => conditional.get(ref) ?? ref),
      request: { method: 'PUT', url: `${r.resourceType}/${r.id}` },
    })),
  };
}

/** NDJSON text of resources (one JSON object per line, ending with a newline). */
export function ndjson(resources: readonly Resource[]): string {
  return resources.map((r) => JSON.stringify(r)).join('\n') + (resources.length > 0 ? '\n' : '');
}
