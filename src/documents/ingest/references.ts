/**
 * References inside a received document Bundle, resolved as FHIR resolves them in a Bundle (pure):
 * an absolute reference or a `urn:uuid:`/`urn:oid:` matches an entry's fullUrl; a relative `Type/id`
 * resolves against the base of the referring entry's RESTful fullUrl, and — since many senders mix
 * `urn:uuid:` fullUrls with relative references — against the `Type/id` of the entries' own resources.
 * Version suffixes (`/_history/n`) are ignored: a document holds one version of each resource.
 */
export interface DocumentEntryRef {
  readonly fullUrl?: string;
  readonly resourceType: string;
  readonly id?: string;
}

const HISTORY = /\/_history\/[^/]+$/;
const RESTFUL = /^(.*)\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;
const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

export class DocumentReferences {
  private readonly byFullUrl = new Map<string, number>();
  private readonly byTypeId = new Map<string, number>();

  constructor(private readonly entries: readonly DocumentEntryRef[]) {
    entries.forEach((e, i) => {
      if (e.fullUrl) this.byFullUrl.set(e.fullUrl.replace(HISTORY, ''), i);
      if (e.id && !this.byTypeId.has(`${e.resourceType}/${e.id}`)) this.byTypeId.set(`${e.resourceType}/${e.id}`, i);
    });
  }

  /** The index of the entry a reference made from entry `from` points at, or undefined. */
  resolve(reference: string, from: number): number | undefined {
    const ref = reference.replace(HISTORY, '');
    const exact = this.byFullUrl.get(ref);
    if (exact !== undefined) return exact;
    if (!RELATIVE.test(ref)) {
      // An absolute RESTful URL whose Type/id is an entry's (a sender's own server base).
      const m = RESTFUL.exec(ref);
      return m && /^https?:/.test(ref) ? this.byTypeId.get(`${m[2]}/${m[3]}`) : undefined;
    }
    const base = RESTFUL.exec(this.entries[from]?.fullUrl ?? '')?.[1];
    if (base) {
      const hit = this.byFullUrl.get(`${base}/${ref}`);
      if (hit !== undefined) return hit;
    }
    return this.byTypeId.get(ref);
  }
}

type Json = Record<string, unknown>;

/** Calls `visit` with every Reference-shaped object of a resource (extensions and contained ones included; not the narrative). */
export function eachReference(value: unknown, visit: (ref: Json) => void, key?: string): void {
  if (Array.isArray(value)) for (const v of value) eachReference(v, visit);
  else if (value && typeof value === 'object') {
    if (key === 'text') return;
    const obj = value as Json;
    if (typeof obj.reference === 'string') visit(obj);
    for (const [k, v] of Object.entries(obj)) eachReference(v, visit, k);
  }
}
