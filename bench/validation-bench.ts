#!/usr/bin/env node
/**
 * `npm run bench:validation`: the CPU cost of validating a resource, in process (no server, no database),
 * over the resources of Synthea transaction Bundles: the JSON shape pass (src/fhir/validation/shape.ts,
 * issue #13) against the rest of validation (@medplum/core plus bindings), which is what a write paid
 * before the shape pass existed. Also counts the resources the validation refuses (there should be none).
 *
 *   node dist/bench/validation-bench.js [--dir <folder>] [--limit <files>] [--rounds <n>]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Resource } from '@medplum/fhirtypes';
import { fhirDefinitions } from '../src/fhir/definitions.js';
import { validationIssues } from '../src/fhir/validation.js';
import { shapeIssues } from '../src/fhir/validation/shape.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const dir = option('dir', join(process.cwd(), '..', 'shared', 'data', 'synthea-r4', 'large'));
const limit = Number(option('limit', '40'));
const rounds = Number(option('rounds', '3'));

const resources: Resource[] = [];
for (const file of readdirSync(dir).filter((f) => /\.json(\.gz)?$/.test(f)).sort().slice(0, limit)) {
  const raw = readFileSync(join(dir, file));
  const bundle = JSON.parse((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')) as { entry?: { resource?: Resource }[] };
  for (const entry of bundle.entry ?? []) if (entry.resource) resources.push(entry.resource);
}
fhirDefinitions();

function time(run: (r: Resource) => unknown): number {
  for (const r of resources.slice(0, 500)) run(r); // warm-up: caches and JIT
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    for (const r of resources) run(r);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e3 / resources.length);
  }
  return best;
}

const refused = resources.filter((r) => validationIssues(r).some((i) => i.severity === 'error'));
const shapeUs = time(shapeIssues);
const totalUs = time(validationIssues);
const beforeUs = totalUs - shapeUs;
console.log(`${resources.length} resources from ${limit} bundles (${dir}); best of ${rounds} rounds`);
console.log(`validation per resource: ${totalUs.toFixed(1)} µs (shape pass ${shapeUs.toFixed(1)} µs, library and bindings ${beforeUs.toFixed(1)} µs)`);
console.log(`the shape pass adds ${((shapeUs / beforeUs) * 100).toFixed(0)} % to the validation cost before it`);
console.log(`refused: ${refused.length}${refused.length ? ` (first: ${refused[0]?.resourceType} ${JSON.stringify(validationIssues(refused[0] as Resource)[0])})` : ''}`);
