import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { gunzipSync, createGunzip } from 'node:zlib';
import { parseJsonNumbers } from '../fhir/written-numbers.js';
import type { Resource } from '@medplum/fhirtypes';

/** Finding and reading import files: Bundles or resources in `.json[.gz]`, NDJSON in `.ndjson[.gz]`, C-CDA documents in `.xml`. */

const IMPORTABLE = /\.(json|ndjson)(\.gz)?$|\.xml$/i;

export function isNdjson(path: string): boolean {
  return /\.ndjson(\.gz)?$/i.test(path);
}

/** Every importable file under the given paths (directories walked recursively), sorted, without duplicates. */
export async function discoverFiles(paths: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (path: string): Promise<void> => {
    const info = await stat(path);
    if (info.isDirectory()) {
      for (const name of (await readdir(path)).sort()) await walk(join(path, name));
    } else if (IMPORTABLE.test(path) && !/(^|\/)(manifest|counts|package|ground-truth)\.json$/i.test(path)) {
      found.add(path);
    }
  };
  for (const path of paths) await walk(path);
  return [...found].sort();
}

/** A JSON file's content (a Bundle or a single resource). */
export async function readJsonFile(path: string): Promise<unknown> {
  const raw = await readFile(path);
  const text = (/\.gz$/i.test(path) ? gunzipSync(raw) : raw).toString('utf8');
  // Decimals keep the precision they were written with (fhir/written-numbers.ts).
  return parseJsonNumbers(text);
}

/** NDJSON resources, `size` at a time, streamed so large files never sit whole in memory. */
export async function* readNdjsonChunks(path: string, size: number): AsyncGenerator<{ resources: Resource[]; firstLine: number }> {
  const source = createReadStream(path);
  const input = /\.gz$/i.test(path) ? source.pipe(createGunzip()) : source;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let chunk: Resource[] = [];
  let lineNumber = 0;
  let firstLine = 1;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    try {
      chunk.push(parseJsonNumbers(line) as Resource);
    } catch (error) {
      throw new Error(`line ${lineNumber}: not valid JSON (${(error as Error).message})`);
    }
    if (chunk.length >= size) {
      yield { resources: chunk, firstLine };
      chunk = [];
      firstLine = lineNumber + 1;
    }
  }
  if (chunk.length > 0) yield { resources: chunk, firstLine };
}
