import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { TestCarnet } from '../support/harness.js';

/** Every page of a search, following `next` links (and asserting each page is well formed). */
export async function searchAll(t: TestCarnet, url: string, maxPages = 200): Promise<{ resources: Resource[]; pages: Bundle[] }> {
  const resources: Resource[] = [];
  const pages: Bundle[] = [];
  let next: string | undefined = url;
  while (next && pages.length < maxPages) {
    const response = await t.request('GET', next);
    if (response.status !== 200) throw new Error(`${next} → ${response.status} ${response.text.slice(0, 300)}`);
    const bundle = response.body as Bundle;
    pages.push(bundle);
    for (const entry of bundle.entry ?? []) if (entry.search?.mode === 'match') resources.push(entry.resource as Resource);
    next = bundle.link?.find((l) => l.relation === 'next')?.url?.replace(t.base.replace(/\/fhir$/, ''), '');
  }
  return { resources, pages };
}

export async function storedResources(t: TestCarnet): Promise<Resource[]> {
  const { rows } = await t.carnet.db.query<{ content: string }>('SELECT content FROM resource WHERE NOT deleted');
  return rows.map((r) => JSON.parse(r.content) as Resource);
}
