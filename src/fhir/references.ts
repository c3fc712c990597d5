/** Parsing and rewriting of FHIR references (pure). */

export interface LocalReference {
  readonly resourceType: string;
  readonly id: string;
  readonly versionId?: string;
}

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;

/**
 * Parses a literal reference that points into this server: relative (`Patient/1`), versioned, or absolute
 * under `baseUrl`. Returns undefined for contained (`#x`), external, `urn:` and conditional references.
 */
export function parseLocalReference(reference: string, baseUrl?: string): LocalReference | undefined {
  let path = reference;
  if (baseUrl && reference.startsWith(`${baseUrl}/`)) path = reference.slice(baseUrl.length + 1);
  const match = RELATIVE.exec(path);
  if (!match) return undefined;
  return { resourceType: match[1] as string, id: match[2] as string, ...(match[3] ? { versionId: match[3] } : {}) };
}

/** Every `reference` string found anywhere in a JSON value (extensions and contained resources included). */
export function collectReferences(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'reference' && typeof child === 'string') out.push(child);
      else collectReferences(child, out);
    }
  }
  return out;
}

/**
 * Whether `rewriteReferences(value, mapping)` would change a string that is not a `reference` (a fullUrl
 * written as an identifier value, say): search parameters other than references would then change too.
 */
export function rewritesOutsideReferences(value: unknown, mapping: ReadonlyMap<string, string>): boolean {
  if (mapping.size === 0) return false;
  const walk = (node: unknown, key?: string): boolean => {
    if (typeof node === 'string') return key !== 'div' && key !== 'reference' && mapping.has(node);
    if (Array.isArray(node)) return node.some((item) => walk(item, key));
    if (node !== null && typeof node === 'object') return Object.entries(node).some(([k, child]) => walk(child, k));
    return false;
  };
  return walk(value);
}

/**
 * Returns a copy of `value` in which every `reference` (and every uri-valued string equal to a mapped
 * key, e.g. `urn:uuid:` identifiers used in canonical or uri elements) is replaced through `mapping`.
 * The narrative `div` is left untouched.
 */
export function rewriteReferences<T>(value: T, mapping: ReadonlyMap<string, string>): T {
  const rewrite = (node: unknown, key?: string): unknown => {
    if (typeof node === 'string') {
      if (key === 'div') return node;
      const direct = mapping.get(node);
      if (direct !== undefined) return direct;
      if (key === 'reference') {
        // A versioned or fragment form of a mapped reference keeps its suffix.
        const hash = node.indexOf('#');
        if (hash > 0) {
          const base = mapping.get(node.slice(0, hash));
          if (base !== undefined) return base + node.slice(hash);
        }
      }
      return node;
    }
    if (Array.isArray(node)) return node.map((item) => rewrite(item, key));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(node)) out[k] = rewrite(child, k);
      return out;
    }
    return node;
  };
  return rewrite(value) as T;
}
