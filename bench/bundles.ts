import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Reading Synthea transaction bundles and preparing them the way the importer sends them. */

interface Entry {
  fullUrl?: string;
  resource?: { resourceType?: string; id?: string; identifier?: { system?: string; value?: string }[] } & Record<string, unknown>;
  request?: { method?: string; url?: string; ifNoneExist?: string } & Record<string, unknown>;
}

interface Bundle {
  resourceType?: string;
  type?: string;
  entry?: Entry[];
}

export interface PreparedBundle {
  readonly file: string;
  /** The request body, serialised once before the timed phase. */
  readonly body: string;
  readonly entries: number;
  /** Entries rewritten to conditional creates (Organization, Practitioner). */
  readonly conditional: number;
}

/** Types every Synthea patient bundle repeats; sent as conditional creates on their first identifier. */
export const SHARED_TYPES = new Set(['Organization', 'Practitioner']);

export function listBundleFiles(dir: string, limit?: number): string[] {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.json.gz') || (name.endsWith('.json') && name !== 'manifest.json' && name !== 'counts.json'))
    .sort();
  return (limit === undefined ? files : files.slice(0, limit)).map((name) => join(dir, name));
}

export function readBundle(path: string): Bundle {
  const raw = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const bundle = JSON.parse(text) as Bundle;
  if (bundle.resourceType !== 'Bundle') throw new Error(`${path} is not a FHIR Bundle`);
  return bundle;
}

/**
 * Rewrites the entries of shared types (Organization, Practitioner) to conditional creates on their first
 * identifier — `request.ifNoneExist = identifier=<system>|<value>` — as the importer does, so that loading
 * 600 patients does not create 600 copies of the same hospital.
 */
export function makeConditional(bundle: Bundle): number {
  let rewritten = 0;
  for (const entry of bundle.entry ?? []) {
    const type = entry.resource?.resourceType;
    if (!type || !SHARED_TYPES.has(type) || entry.request?.method !== 'POST' || entry.request.ifNoneExist) continue;
    const identifier = entry.resource?.identifier?.find((i) => i.value);
    if (!identifier?.value) continue;
    const token = identifier.system ? `${identifier.system}|${identifier.value}` : identifier.value;
    // URLSearchParams syntax: only the characters that would change the meaning of the value are escaped.
    entry.request.ifNoneExist = `identifier=${token.replace(/[%&+#]/g, (c) => encodeURIComponent(c))}`;
    rewritten++;
  }
  return rewritten;
}

export function prepareBundles(files: readonly string[]): PreparedBundle[] {
  return files.map((file) => {
    const bundle = readBundle(file);
    if (bundle.type !== 'transaction') bundle.type = 'transaction';
    const conditional = makeConditional(bundle);
    return { file, body: JSON.stringify(bundle), entries: bundle.entry?.length ?? 0, conditional };
  });
}

export interface RawResource {
  readonly resourceType: string;
  readonly id: string;
  readonly content: string;
}

/** The resources of the bundles as plain rows, for the direct-insert baseline. */
export function resourceRows(files: readonly string[], newId: () => string): RawResource[] {
  const rows: RawResource[] = [];
  for (const file of files) {
    for (const entry of readBundle(file).entry ?? []) {
      const resource = entry.resource;
      if (!resource?.resourceType) continue;
      const id = newId();
      rows.push({ resourceType: resource.resourceType, id, content: JSON.stringify({ ...resource, id }) });
    }
  }
  return rows;
}
