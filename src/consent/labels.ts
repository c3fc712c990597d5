import type { Coding, Resource } from '@medplum/fhirtypes';
import { ACT_CODE, categoriesOf, categoryLabel, CONFIDENTIALITY, RESTRICTED, type Category } from './categories.js';
import { sensitiveCategory } from './sensitive-codes.js';

/** The sensitive categories of the coded concepts anywhere in a resource (its meta aside). */
export function detectCategories(resource: Resource): Set<Category> {
  const found = new Set<Category>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const object = value as Record<string, unknown>;
    if (typeof object.code === 'string' && typeof object.system === 'string') {
      const category = sensitiveCategory(object.system, object.code);
      if (category) found.add(category);
    }
    for (const [key, child] of Object.entries(object)) {
      if (key !== 'meta' && key !== 'text' && typeof child === 'object') walk(child);
    }
  };
  walk(resource);
  return found;
}

/**
 * Labels a resource at write time: every sensitive category found in its codes becomes a v3 ActCode
 * label in `meta.security`, with the confidentiality code R (restricted). Labels the source sent are kept.
 * Returns the resource unchanged (same object) when there is nothing to add.
 */
export function labelSensitive<T extends Resource>(resource: T): T {
  const detected = detectCategories(resource);
  const present = new Set(categoriesOf(resource));
  if (detected.size === 0 && present.size === 0) return resource;
  const missing = [...detected].filter((c) => !present.has(c)).sort();
  const security: Coding[] = [...(resource.meta?.security ?? [])];
  for (const category of missing) security.push(categoryLabel(category));
  if (!security.some((s) => s.system === CONFIDENTIALITY && (s.code === 'R' || s.code === 'V'))) security.push(RESTRICTED);
  if (missing.length === 0 && security.length === (resource.meta?.security ?? []).length) return resource;
  return { ...resource, meta: { ...resource.meta, security } };
}

export { ACT_CODE };
