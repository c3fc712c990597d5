import { createHash } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type { Json } from './facts.js';

/**
 * References inside a document Bundle. Every entry's fullUrl is a `urn:uuid:` derived from the server and
 * the resource's `Type/id` (name-based, RFC 4122 version 5), so the same resource has the same fullUrl in
 * every summary, and every reference is rewritten to the fullUrl of its target in the Bundle — never a
 * relative reference a validator has to resolve against a base (validator-wrapper#156).
 */
const NAMESPACE = Buffer.from('6f1c2a4e0b7d4c1e9a3f5d8e2b6c4a10', 'hex');

export function nameUuid(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The relative `Type/id` of a literal reference, or undefined for contained, logical or foreign ones. */
export function localTarget(reference: string, fhirBaseUrl: string): string | undefined {
  let ref = reference;
  if (ref.startsWith(`${fhirBaseUrl}/`)) ref = ref.slice(fhirBaseUrl.length + 1);
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(ref);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

function visitReferences(value: unknown, visit: (ref: Json) => void, key?: string): void {
  if (Array.isArray(value)) for (const v of value) visitReferences(v, visit);
  else if (value && typeof value === 'object') {
    if (key === 'text') return; // the narrative's links are not references
    const obj = value as Json;
    if (typeof obj.reference === 'string') visit(obj);
    for (const [k, v] of Object.entries(obj)) if (k !== 'contained' || Array.isArray(v)) visitReferences(v, visit, k);
  }
}

/** Every local `Type/id` a resource refers to (contained resources included). */
export function referencedTargets(resource: Resource, fhirBaseUrl: string): string[] {
  const out: string[] = [];
  visitReferences(resource, (ref) => {
    const t = localTarget(ref.reference as string, fhirBaseUrl);
    if (t) out.push(t);
  });
  return out;
}

/**
 * A copy of the resource whose references point at the Bundle's fullUrls. A reference to something not
 * in the Bundle (an encounter, a condition outside the summary, something the reader may not see) keeps
 * only its display and identifier: the document stays closed and reveals nothing beyond what it holds.
 */
export function rewriteReferences(resource: Resource, fullUrlOf: ReadonlyMap<string, string>, fhirBaseUrl: string): Resource {
  const copy = structuredClone(resource) as unknown as Json;
  visitReferences(copy, (ref) => {
    const reference = ref.reference as string;
    if (reference.startsWith('#') || reference.startsWith('urn:')) return;
    const target = localTarget(reference, fhirBaseUrl);
    const fullUrl = target ? fullUrlOf.get(target) : undefined;
    if (fullUrl) {
      ref.reference = fullUrl;
      return;
    }
    delete ref.reference;
    delete ref.type;
    if (ref.display === undefined && ref.identifier === undefined) ref.display = target?.split('/')[0] ?? 'reference';
  });
  return copy as unknown as Resource;
}
