import { SUBSETTED } from '../../fhir/search/shape.js';
/**
 * `_elements` in a bulk export (pure): a resource keeps `resourceType`, `id`, `meta` and the elements
 * asked for its type (unqualified names apply to every type), and is tagged SUBSETTED as R4 requires.
 * A type no listed element applies to is exported whole.
 */
const MANDATORY = new Set(['resourceType', 'id', 'meta']);

export function elementsFor(elements: readonly string[] | undefined, type: string): ReadonlySet<string> | undefined {
  if (!elements) return undefined;
  const names = elements.flatMap((e) => {
    const dot = e.indexOf('.');
    if (dot < 0) return [e];
    return e.slice(0, dot) === type ? [e.slice(dot + 1)] : [];
  });
  return names.length > 0 ? new Set(names.map((n) => n.replace(/\[x\]$/, ''))) : undefined;
}

/** The resource reduced to `keep` (choice elements `value[x]` match `valueQuantity`, …). */
export function subset(resource: Record<string, unknown>, keep: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const base = key.replace(/^_/, '');
    if (MANDATORY.has(key) || keep.has(base) || [...keep].some((k) => base.startsWith(k) && /^[A-Z]/.test(base.slice(k.length)))) out[key] = value;
  }
  const meta = (out.meta ?? {}) as { tag?: unknown[] };
  // system and code only: bulk clients look the tag up by those two (bdt compares the Coding whole).
  out.meta = { ...meta, tag: [...(meta.tag ?? []), { system: SUBSETTED.system, code: SUBSETTED.code }] };
  return out;
}
