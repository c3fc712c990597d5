import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { conditionalReferences, directoryBundle, ndjson, personBundle } from './bundle.js';
import type { GroundTruth } from './ground-truth.js';
import type { PersonBundle, Population } from './population.js';

/**
 * Writes a population to a folder (I/O edge): `ground-truth.json` and either transaction Bundles
 * (`000-directory.json` then one `P0001.json` per person, in the order `carnet import` loads them) or NDJSON
 * (one `<Type>.ndjson` per resource type, as FHIR Bulk Data writes it).
 */

export type OutputFormat = 'bundle' | 'ndjson';

export interface WriteSummary {
  readonly files: number;
  readonly resources: number;
  readonly groundTruth: GroundTruth;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 1)}\n`;

export async function writePopulation(population: Population, dir: string, format: OutputFormat, onPerson: (done: number) => void = () => {}): Promise<WriteSummary> {
  await mkdir(dir, { recursive: true });
  const done: PersonBundle[] = [];
  let resources = population.directory.resources.length;
  let files = 0;
  if (format === 'bundle') {
    await writeFile(join(dir, '000-directory.json'), json(directoryBundle(population.directory.resources)));
    files++;
    const conditional = conditionalReferences(population.directory.resources);
    for (const record of population.records()) {
      await writeFile(join(dir, `${record.person.key}.json`), json(personBundle(record.resources, conditional)));
      files++;
      resources += record.resources.length;
      done.push({ ...record, resources: [] });
      onPerson(done.length);
    }
  } else {
    const byType = new Map<string, Resource[]>();
    const put = (r: Resource) => {
      const list = byType.get(r.resourceType) ?? [];
      list.push(r);
      byType.set(r.resourceType, list);
    };
    population.directory.resources.forEach(put);
    for (const record of population.records()) {
      record.resources.forEach(put);
      resources += record.resources.length;
      done.push({ ...record, resources: [] });
      onPerson(done.length);
    }
    for (const [type, list] of [...byType.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      await writeFile(join(dir, `${type}.ndjson`), ndjson(list));
      files++;
    }
  }
  const groundTruth = population.groundTruth(done);
  await writeFile(join(dir, 'ground-truth.json'), json(groundTruth));
  return { files, resources, groundTruth };
}
