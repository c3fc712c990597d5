import type { Resource } from '@medplum/fhirtypes';
import { normalizeText } from '../normalize.js';

/**
 * Text for `_text` (the narrative) and `_content` (every human-readable string of the resource), normalised
 * like string search so that accents and case do not matter (pure).
 */
const MAX_TEXT = 64 * 1024;

/** Keys whose strings are machinery, not text a person would search for. */
const NOT_TEXT = new Set([
  'div', 'reference', 'system', 'url', 'id', 'versionId', 'lastUpdated', 'fullUrl', 'data', 'contentType', 'profile',
  'source', 'resourceType', 'valueBase64Binary', 'hash', 'language',
]);

function narrativeText(div: string): string {
  return div
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'");
}

function collect(node: unknown, key: string | undefined, out: string[], budget: { left: number }): void {
  if (budget.left <= 0) return;
  if (typeof node === 'string') {
    if (key === undefined || NOT_TEXT.has(key)) return;
    out.push(node);
    budget.left -= node.length;
  } else if (Array.isArray(node)) {
    for (const item of node) collect(item, key, out, budget);
  } else if (node !== null && typeof node === 'object') {
    for (const [k, child] of Object.entries(node)) if (k !== 'contained') collect(child, k, out, budget);
  }
}

export function fullText(resource: Resource): { narrative: string; content: string } | undefined {
  const div = (resource as { text?: { div?: string } }).text?.div;
  const narrative = div ? normalizeText(narrativeText(div)).slice(0, MAX_TEXT) : '';
  const strings: string[] = [];
  collect(resource, undefined, strings, { left: MAX_TEXT });
  if (narrative) strings.push(narrative);
  const content = normalizeText(strings.join(' ')).slice(0, MAX_TEXT);
  if (!narrative && !content) return undefined;
  return { narrative, content };
}
