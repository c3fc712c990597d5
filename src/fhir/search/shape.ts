import { tryGetDataType } from '@medplum/core';
import type { Coding, Resource } from '@medplum/fhirtypes';
import type { SummaryMode } from './model.js';
import { V3_OBSERVATION_VALUE } from '../../fhir/code-systems.js';

/**
 * `_summary` and `_elements`: the subset of each matched resource the client asked for (pure). Subsets are
 * marked with the SUBSETTED tag, as R4 requires, so no client mistakes them for the whole resource.
 */
export const SUBSETTED: Coding = { system: V3_OBSERVATION_VALUE, code: 'SUBSETTED', display: 'subsetted' };

const ALWAYS = ['resourceType', 'id', 'meta'];

function keep(resource: Resource, names: Iterable<string>): Resource {
  const wanted = new Set([...ALWAYS, ...names]);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const base = key.replace(/^_/, '');
    // A choice element is asked for by its base name: `value` keeps valueQuantity.
    if (wanted.has(base) || [...wanted].some((w) => base.startsWith(w) && /^[A-Z]/.test(base.slice(w.length)) && isChoice(resource.resourceType, w))) {
      out[key] = value;
    }
  }
  const meta = (out.meta ?? {}) as { tag?: Coding[] };
  out.meta = { ...meta, tag: [...(meta.tag ?? []).filter((t) => t.code !== SUBSETTED.code), SUBSETTED] };
  return out as unknown as Resource;
}

function isChoice(resourceType: string, name: string): boolean {
  return Boolean(tryGetDataType(resourceType)?.elements[`${name}[x]`]);
}

function elementNames(set: unknown): string[] {
  if (!set) return [];
  const names = set instanceof Set ? [...set] : Array.isArray(set) ? set : Object.keys(set as object);
  return (names as string[]).map((n) => n.replace(/\[x\]$/, ''));
}

export function shapeResource(resource: Resource, summary: SummaryMode | undefined, elements: readonly string[] | undefined): Resource {
  const schema = tryGetDataType(resource.resourceType) as { summaryProperties?: unknown; mandatoryProperties?: unknown } | undefined;
  if (elements && elements.length > 0 && (summary === undefined || summary === 'false')) {
    return keep(resource, [...elements, ...elementNames(schema?.mandatoryProperties)]);
  }
  switch (summary) {
    case 'true':
      return keep(resource, elementNames(schema?.summaryProperties));
    case 'text':
      return keep(resource, ['text', ...elementNames(schema?.mandatoryProperties)]);
    case 'data': {
      const { text: _text, ...rest } = resource as Resource & { text?: unknown };
      return keep(rest as Resource, Object.keys(rest));
    }
    default:
      return resource;
  }
}
