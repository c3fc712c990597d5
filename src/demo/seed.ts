import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Carnet } from '../app/app.js';
import { loadPopulation, type LoadProgress } from '../generate/load.js';
import { generatePopulation } from '../generate/population.js';
import { rate } from '../import/progress.js';
import { anyResourceStored } from '../storage/resource-store.js';
import { DEMO_ORGANIZATION, seedDemoDirectory } from './accounts.js';

/** Synthea sample patients kept for the importer's tests (see demo/synthea/PROVENANCE.md). */
export const DEMO_DIR = fileURLToPath(new URL('../../../demo/synthea', import.meta.url));

/** Where the ground truth of the demo population is written, next to the embedded database. */
export const GROUND_TRUTH_FILE = 'demo-ground-truth.json';

/** A progress bar on stderr: redrawn in place on a terminal, a line every 10 % in logs. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): LoadProgress {
  let total = 0;
  let lastDecile = -1;
  return {
    start(persons) {
      total = persons;
      stream.write(`Generating and loading the demo population: ${persons} synthetic persons\n`);
    },
    progress(done, resources, elapsedMs) {
      const width = 30;
      const filled = Math.round((done / Math.max(1, total)) * width);
      const text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} persons, ${resources} resources, ${rate(resources, elapsedMs)}/s`;
      if (stream.isTTY) {
        stream.write(`\r${text}`);
        return;
      }
      const decile = Math.floor((done / Math.max(1, total)) * 10);
      if (decile > lastDecile) {
        lastDecile = decile;
        stream.write(`${text}\n`);
      }
    },
    finish() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}

/**
 * On the first start of an empty embedded database, generates the synthetic Québec population
 * (CARNET_DEMO_PERSONS persons from CARNET_DEMO_SEED, see docs/demo-data.md) and loads it through the
 * write engine, so that `npm start` shows a living record. Never on PostgreSQL (a production database is
 * not to be filled with demo data), never when CARNET_DEMO=off, never twice.
 */
export async function seedDemoIfEmpty(carnet: Carnet, progress: LoadProgress = progressBar()): Promise<boolean> {
  if (!carnet.config.demo || carnet.db.kind !== 'pglite') return false;
  if (await anyResourceStored(carnet.db)) return false;
  const { demoPersons: persons, demoSeed: seed } = carnet.config;
  carnet.log.info({ persons, seed }, 'empty embedded database: generating the demo population');
  const population = generatePopulation({ persons, seed });
  // The demo clinic stands as the writer of the demo records: its professionals (the demo accounts) see
  // them, sensitive categories included; other organisations see what consent allows.
  await seedDemoDirectory(carnet);
  const { summary, groundTruth } = await loadPopulation(carnet.ctx, population, progress, Date.now, DEMO_ORGANIZATION);
  let groundTruthFile: string | undefined;
  if (!carnet.config.dataDir.startsWith('memory://')) {
    try {
      groundTruthFile = join(carnet.config.dataDir, GROUND_TRUTH_FILE);
      await writeFile(groundTruthFile, `${JSON.stringify(groundTruth, null, 1)}\n`);
    } catch (error) {
      // The demo works without it: the ground truth is for measuring the MPI and surveillance.
      carnet.log.warn({ err: error, groundTruthFile }, 'could not write the demo ground truth');
      groundTruthFile = undefined;
    }
  }
  const seconds = (summary.elapsedMs / 1000).toFixed(1);
  carnet.log.info(
    { persons, seed, resources: summary.resources, seconds: Number(seconds), resourcesPerSecond: rate(summary.resources, summary.elapsedMs), groundTruthFile },
    `demo population loaded: ${persons} persons, ${summary.resources} resources in ${seconds} s`,
  );
  return true;
}
