import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_HISTORY_YEARS, DEFAULT_REFERENCE_DATE, DEFAULT_SEED, generatePopulation } from '../generate/population.js';
import { writePopulation, type OutputFormat } from '../generate/writer.js';

const USAGE = `Usage: carnet generate [--persons N] [--seed S] [--out DIR] [--format bundle|ndjson]
                       [--reference-date YYYY-MM-DD] [--history-years N]

Writes a synthetic Québec population (see docs/demo-data.md) and its ground-truth.json to DIR
(default ./generated). The same options always give the same bytes.
  --persons          number of persons (default 200)
  --seed             seed of the random generator (default "${DEFAULT_SEED}")
  --format           bundle: transaction Bundles for carnet import (default); ndjson: one file per type
  --reference-date   "today" of the generated world (default ${DEFAULT_REFERENCE_DATE})
  --history-years    years of history before the reference date (default ${DEFAULT_HISTORY_YEARS})`;

/** `carnet generate`: writes a synthetic population to a folder (no database involved). */
export async function generateCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        persons: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, format: { type: 'string' },
        'reference-date': { type: 'string' }, 'history-years': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const format = (values.format ?? 'bundle') as OutputFormat;
  if (format !== 'bundle' && format !== 'ndjson') {
    console.error(`--format must be bundle or ndjson\n\n${USAGE}`);
    return 2;
  }
  let population;
  try {
    population = generatePopulation({
      ...(values.persons !== undefined ? { persons: Number(values.persons) } : {}),
      ...(values.seed !== undefined ? { seed: values.seed } : {}),
      ...(values['reference-date'] !== undefined ? { referenceDate: values['reference-date'] } : {}),
      ...(values['history-years'] !== undefined ? { historyYears: Number(values['history-years']) } : {}),
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const out = resolve(values.out ?? 'generated');
  const started = Date.now();
  const summary = await writePopulation(population, out, format);
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write(
    `${population.people.length} persons, ${summary.resources} resources in ${summary.files} ${format === 'bundle' ? 'Bundle' : 'NDJSON'} files ` +
    `(${seconds.toFixed(1)} s) and ground-truth.json written to ${out}\n`,
  );
  return 0;
}
