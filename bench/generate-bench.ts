import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createCarnet } from '../src/app/app.js';
import { loadConfig } from '../src/config/config.js';
import { conditionalReferences, personBundle } from '../src/generate/bundle.js';
import { loadPopulation, PERSONS_PER_BATCH } from '../src/generate/load.js';
import { generatePopulation } from '../src/generate/population.js';
import { openPGlite } from '../src/storage/pglite-database.js';
import { perSecond, summarize, type LatencySummary } from './stats.js';

/**
 * `npm run bench:generate`: throughput of the synthetic-population generator (resources/s, per-person
 * latency percentiles) and, with --load, the first-start load of that population into embedded PGlite on
 * disk through the write engine (what `npm start` does on an empty database).
 */

const USAGE = `Usage: npm run bench:generate -- [--persons N] [--seed S] [--load] [--load-persons N]
  --persons N        persons to generate (default 2000)
  --load             also load a population into a fresh PGlite on disk through the write engine
  --load-persons N   persons for the load (default 200, the first-start default)`;

const ms = (v: number) => v.toFixed(2);
const line = (name: string, s: LatencySummary) => `| ${name} | ${s.count} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ms(s.max)} |`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { persons: { type: 'string' }, seed: { type: 'string' }, load: { type: 'boolean' }, 'load-persons': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const persons = Number(values.persons ?? 2000);
  const seed = values.seed ?? 'carnet';
  console.log(`# Generator benchmark\n\nmachine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at start\n`);

  // Generation as `carnet generate --format bundle` does it, without the disk: records and their Bundles.
  const started = performance.now();
  const population = generatePopulation({ persons, seed });
  const directoryMs = performance.now() - started;
  const conditional = conditionalReferences(population.directory.resources);
  const perPerson: number[] = [];
  let resources = population.directory.resources.length;
  let bytes = 0;
  let last = performance.now();
  for (const record of population.records()) {
    bytes += JSON.stringify(personBundle(record.resources, conditional)).length;
    resources += record.resources.length;
    const now = performance.now();
    perPerson.push(now - last);
    last = now;
  }
  const totalMs = performance.now() - started;
  console.log(`## Generation (${persons} persons, seed "${seed}")\n`);
  console.log(`- ${resources} resources (${population.directory.resources.length} in the directory) in ${(totalMs / 1000).toFixed(2)} s: **${Math.round(perSecond(resources, totalMs))} resources/s**`);
  console.log(`- people, directory and public-health plan: ${ms(directoryMs)} ms; Bundle JSON written: ${(bytes / 1e6).toFixed(1)} MB`);
  console.log('\n| per person (ms) | count | p50 | p95 | p99 | max |\n| --- | --- | --- | --- | --- | --- |');
  console.log(line('generate + Bundle', summarize(perPerson)));

  if (values.load) {
    const loadPersons = Number(values['load-persons'] ?? 200);
    // On disk, like a real first start (an in-memory PGlite grows its heap by copying, which is slower).
    const dir = mkdtempSync(join(tmpdir(), 'carnet-generate-bench-'));
    const db = await openPGlite(dir);
    const carnet = await createCarnet(loadConfig({ CARNET_DATA_DIR: dir, LOG_LEVEL: 'silent' }), { db, log: pino({ level: 'silent' }) });
    const perBundle: number[] = [];
    let previous = 0;
    const { summary } = await loadPopulation(carnet.ctx, generatePopulation({ persons: loadPersons, seed }), {
      start() {},
      progress(_done, _resources, elapsedMs) {
        perBundle.push(elapsedMs - previous);
        previous = elapsedMs;
      },
      finish() {},
    });
    await carnet.close();
    rmSync(dir, { recursive: true, force: true });
    console.log(`\n## First-start load into embedded PGlite on disk (${loadPersons} persons)\n`);
    console.log(`- ${summary.resources} resources in ${(summary.elapsedMs / 1000).toFixed(1)} s: **${Math.round(perSecond(summary.resources, summary.elapsedMs))} resources/s** (directory Bundle included)`);
    console.log(`\n| per batch of ${PERSONS_PER_BATCH} persons (ms) | count | p50 | p95 | p99 | max |\n| --- | --- | --- | --- | --- | --- |`);
    console.log(line('generate + load (the first batch includes the directory)', summarize(perBundle)));
  }
  console.log(`\nload average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
