import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DEFAULT_MODEL } from '../src/mpi/defaults.js';
import { seededRandom } from '../src/mpi/em.js';
import { DEFAULT_MPI_CONFIG } from '../src/mpi/service/config.js';
import type { Database } from '../src/storage/database.js';
import { migrate } from '../src/storage/migrate.js';
import { openPGlite } from '../src/storage/pglite-database.js';
import { openPostgres } from '../src/storage/postgres-database.js';
import { estimatedModel, runAccuracy, type AccuracyResult } from './mpi/accuracy.js';
import { loadSets } from './mpi/datasets.js';
import { quebecSet } from './mpi/quebec.js';
import { fittedOn, hardCaseRun, thresholdCurve, type HardCaseResult } from './mpi/hard-cases.js';
import { dedupeRun, loadIndex, makeQueries, measureMatches, type DedupeResult, type MatchLatency } from './mpi/throughput.js';
import { population } from './mpi/synthetic.js';
import { measureWrites } from './mpi/write-path.js';

/**
 * `npm run bench:mpi` — accuracy of the MPI on labelled record-linkage sets (FEBRL 1–4, splink fake
 * data, the generated Québec population's multi-source records) and throughput of the database-backed matcher against 100k and 1M indexed persons, plus a full
 * in-memory deduplication of 100k records. See docs/mpi.md for the figures and how to read them.
 */
const USAGE = `Usage: npm run bench:mpi -- [options]

  --data <dir>            record-linkage data (febrl/, splink-fake/); default ../shared/data/record-linkage
  --sets <a,b>            only these sets (febrl1…febrl4, splink-1000, splink-20000, quebec)
  --quebec-persons <n>    persons of the generated Québec population (multi-source ground truth); default 2000
  --hard-persons <n>      persons of each hard-case population (EM fitted on seed train-1, judged on holdout-1, holdout-2); default 2000 (0: skip)
  --sizes <n,m>           indexed persons for the latency runs; default 100000,1000000
  --queries <n>           timed matches per size; default 2000 (plus 100 warm-up)
  --db <pglite|postgres>  database for the latency runs; default postgres
  --pg-url <url>          PostgreSQL server; default postgres://postgres@127.0.0.1:5432/postgres
  --db-prefix <name>      name prefix of the bench databases (created and dropped); default carnet_bench_mpi
  --dedupe <n>            records of the in-memory deduplication run; default 100000 (0: skip)
  --writes <n>            POST Patient requests timed with the matcher on and off; default 1000 (0: skip)
  --skip-accuracy         --skip-throughput   skip a part
  --keep-db               keep the bench database`;

interface Options {
  data: string; sets: string[]; quebecPersons: number; hardPersons: number; sizes: number[]; queries: number; db: 'pglite' | 'postgres'; pgUrl: string; dbPrefix: string; dedupe: number; writes: number;
  skipAccuracy: boolean; skipThroughput: boolean; keepDb: boolean;
}

function parse(argv: string[]): Options {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const o: Options = {
    data: resolve(repoRoot, '..', 'shared', 'data', 'record-linkage'), sets: [], quebecPersons: 2000, hardPersons: 2000, sizes: [100_000, 1_000_000], queries: 2000,
    db: 'postgres', pgUrl: 'postgres://postgres@127.0.0.1:5432/postgres', dbPrefix: 'carnet_bench_mpi', dedupe: 100_000, writes: 1000, skipAccuracy: false, skipThroughput: false, keepDb: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i] ?? '';
    if (a === '--data') o.data = resolve(next());
    else if (a === '--sets') o.sets = next().split(',').filter(Boolean);
    else if (a === '--quebec-persons') o.quebecPersons = Number(next());
    else if (a === '--hard-persons') o.hardPersons = Number(next());
    else if (a === '--sizes') o.sizes = next().split(',').map(Number);
    else if (a === '--queries') o.queries = Number(next());
    else if (a === '--db') o.db = next() as Options['db'];
    else if (a === '--pg-url') o.pgUrl = next();
    else if (a === '--db-prefix') o.dbPrefix = next().replace(/[^a-z0-9_]/g, '');
    else if (a === '--dedupe') o.dedupe = Number(next());
    else if (a === '--writes') o.writes = Number(next());
    else if (a === '--skip-accuracy') o.skipAccuracy = true;
    else if (a === '--skip-throughput') o.skipThroughput = true;
    else if (a === '--keep-db') o.keepDb = true;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`Unknown option ${a}\n${USAGE}`);
  }
  return o;
}

const f4 = (x: number) => x.toFixed(4);
const ms = (x: number) => x.toFixed(2);

function accuracyTable(results: AccuracyResult[]): string {
  const lines = [
    '| set | model | records | blocking recall | auto precision | auto recall | auto F1 | review queue (true) | F1 after review | ms |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    lines.push(`| ${r.set} | ${r.model} | ${r.records} | ${f4(r.blockingRecall)} | ${f4(r.automatic.precision)} | ${f4(r.automatic.recall)} | ${f4(r.automatic.f1)} | ${r.reviewQueue} (${r.reviewTrue}) | ${f4(r.withReview.f1)} | ${r.ms.toFixed(0)} |`);
  }
  return lines.join('\n');
}

/** Issue #15: EM fitted on one hard-case population, default and fitted models judged on held-out seeds. */
function hardCases(persons: number): { report: string[]; json: unknown } {
  const fitted = fittedOn(persons, 'train-1', DEFAULT_MODEL);
  const runs: HardCaseResult[] = [];
  for (const seed of ['holdout-1', 'holdout-2']) {
    runs.push(hardCaseRun(persons, seed, DEFAULT_MODEL, 'default'));
    runs.push(hardCaseRun(persons, seed, fitted.model, `EM fitted on train-1 (${fitted.iterations} it., λ=${fitted.lambda.toFixed(3)})`));
    console.error(`hard cases: ${seed} done`);
  }
  const curve = thresholdCurve(persons, 'train-1', DEFAULT_MODEL, [14, 16, 18, 20, 22, 24, 28]);
  const lines = [
    `## Hard cases (issue #15): generated populations of ${persons} persons with twins, fathers and sons of the same name and the hard variants; EM fitted on seed train-1 only`, '',
    '| set | model | records | auto precision | auto recall | auto F1 | review (true) | F1 after review | twin pairs merged | father/son pairs merged | $match top-1 |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map((r) => `| ${r.set} | ${r.model} | ${r.records} | ${f4(r.automatic.precision)} | ${f4(r.automatic.recall)} | ${f4(r.automatic.f1)} | ${r.reviewQueue} (${r.reviewTrue}) | ${f4(r.withReview.f1)} | ${r.twinPairsMerged} (of ${r.relatives.twins} twin pairs) | ${r.juniorPairsMerged} (of ${r.relatives.juniors}) | ${r.matchTop1[0]}/${r.matchTop1[1]} |`),
    '', '### Recall per variant (share of the true pairs carrying the difference that were linked automatically; default model)', '',
    `| variant | ${runs.filter((r) => r.model === 'default').map((r) => r.set).join(' | ')} |`, `|---|${runs.filter((r) => r.model === 'default').map(() => '---').join('|')}|`,
  ];
  const defaults = runs.filter((r) => r.model === 'default');
  const variants = [...new Set(defaults.flatMap((r) => Object.keys(r.variants)))].sort();
  for (const v of variants) lines.push(`| ${v} | ${defaults.map((r) => { const [a, b] = r.variants[v] ?? [0, 0]; return b ? `${f4(a / b)} (${a}/${b})` : '–'; }).join(' | ')} |`);
  lines.push('', '### Upper threshold against automatic-link precision and recall (train-1, default model, lower threshold 12)', '',
    '| upper (bits) | auto precision | auto recall | review queue |', '|---|---|---|---|',
    ...curve.map((c) => `| ${c.upper} | ${f4(c.precision)} | ${f4(c.recall)} | ${c.review} |`), '');
  return { report: lines, json: { runs, curve } };
}

async function benchDatabase(o: Options): Promise<{ db: Database; drop: () => Promise<void>; description: string }> {
  if (o.db === 'pglite') {
    const db = await openPGlite('memory://');
    return { db, drop: async () => undefined, description: 'PGlite (in memory)' };
  }
  const name = `${o.dbPrefix}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: o.pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(o.pgUrl);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), 4);
  return {
    db, description: `PostgreSQL (${name})`,
    // The write-path run closes its database itself (through Carnet's close); closing twice is harmless.
    drop: async () => {
      await db.close().catch(() => undefined);
      if (o.keepDb) return;
      const c = new pg.Client({ connectionString: o.pgUrl });
      await c.connect();
      await c.query(`DROP DATABASE ${name}`);
      await c.end();
    },
  };
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const started = new Date();
  const report: string[] = [`# MPI benchmark — ${started.toISOString()}`, '', `Load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (2 cores)`, ''];
  const json: Record<string, unknown> = { started: started.toISOString(), loadStart: loadavg() };

  if (!o.skipAccuracy) {
    const sets = loadSets(o.data, o.sets);
    if (sets.length === 0) console.error(`No labelled data under ${o.data}: accuracy skipped`);
    const results: AccuracyResult[] = [];
    for (const set of sets) {
      results.push(runAccuracy(set, DEFAULT_MODEL, 'default'));
      results.push(runAccuracy(set, DEFAULT_MODEL, 'default, no key-field guard', { keyFieldGuard: false }));
      const em = estimatedModel(set, DEFAULT_MODEL);
      results.push(runAccuracy(set, em.model, `EM (${em.iterations} it., λ=${em.lambda.toFixed(3)})`));
      console.error(`accuracy: ${set.name} done`);
    }
    // The demo population's multi-source records against the generator's ground truth (issue #4).
    if (o.sets.length === 0 || o.sets.some((n) => n.startsWith('quebec'))) {
      const quebec = quebecSet(o.quebecPersons);
      results.push(runAccuracy(quebec, DEFAULT_MODEL, 'default'));
      results.push(runAccuracy(quebec, DEFAULT_MODEL, 'default, no key-field guard', { keyFieldGuard: false }));
      console.error(`accuracy: ${quebec.name} done`);
    }
    // The synthetic Québec-like population (our own generator: a sanity check, not an external benchmark).
    const synthetic = population(seededRandom(11), 15_000, 0.3);
    const entityOf = new Map(synthetic.map((r) => [r.id, String(r.entity)]));
    results.push(runAccuracy({ name: 'synthetic-qc', records: synthetic, entityOf }, DEFAULT_MODEL, 'default'));
    report.push('## Accuracy (pairwise, over every pair of records)', '', accuracyTable(results), '',
      '"auto" = automatic links only; "F1 after review" assumes a reviewer resolves the queue correctly.', '');
    json.accuracy = results;
    if (o.hardPersons > 0) {
      const hard = hardCases(o.hardPersons);
      report.push(...hard.report);
      json.hardCases = hard.json;
    }
  }

  if (!o.skipThroughput) {
    const latencies: MatchLatency[] = [];
    for (const size of o.sizes) {
      const { db, drop, description } = await benchDatabase(o);
      try {
        await migrate(db);
        const random = seededRandom(size);
        const registry = new Map<string, number>();
        const indexed = population(random, size, 0.1, registry);
        const loadStarted = performance.now();
        await loadIndex(db, indexed, (done) => {
          if (done % 100_000 === 0 || done === indexed.length) console.error(`index ${size}: ${done}/${indexed.length} records`);
        });
        const loadSeconds = (performance.now() - loadStarted) / 1000;
        const queries = makeQueries(random, indexed, size, o.queries + 100, registry);
        const result = await measureMatches(db, DEFAULT_MPI_CONFIG, queries, size, indexed.length, 100);
        latencies.push(result);
        report.push(`## Single-record match against ${size.toLocaleString('en')} persons (${indexed.length.toLocaleString('en')} records) on ${description}`, '',
          `Index loaded in ${loadSeconds.toFixed(1)} s (${Math.round(indexed.length / loadSeconds)} records/s, bulk unnest).`, '',
          '| matches | p50 ms | p95 ms | p99 ms | max ms | mean candidates | duplicates linked | wrong links | new persons linked |', '|---|---|---|---|---|---|---|---|---|',
          `| ${result.latency.count} | ${ms(result.latency.p50)} | ${ms(result.latency.p95)} | ${ms(result.latency.p99)} | ${ms(result.latency.max)} | ${result.meanCandidates.toFixed(1)} | ${f4(result.duplicateRecall)} | ${result.wrongLinks} | ${result.newPersonsLinked} |`, '');
        console.error(`latency ${size}: p50 ${ms(result.latency.p50)} p95 ${ms(result.latency.p95)}`);
      } finally {
        await drop();
      }
    }
    json.latency = latencies;
    if (o.writes > 0) {
      const records = population(seededRandom(3), Math.round(o.writes / 1.3), 0.3).slice(0, o.writes + 50);
      const rows: string[] = [];
      const writes: Record<string, unknown> = {};
      for (const mpi of [false, true]) {
        const { db, drop, description } = await benchDatabase(o);
        try {
          const latency = await measureWrites(db, mpi, records, 50);
          writes[mpi ? 'on' : 'off'] = latency;
          rows.push(`| ${mpi ? 'on' : 'off'} | ${description} | ${latency.count} | ${ms(latency.p50)} | ${ms(latency.p95)} | ${ms(latency.p99)} |`);
        } finally {
          await drop();
        }
      }
      json.writes = writes;
      report.push('## POST Patient through the server, matcher on and off (30 % of records are duplicates from a second source)', '',
        '| matcher | database | requests | p50 ms | p95 ms | p99 ms |', '|---|---|---|---|---|---|', ...rows, '');
      const cost = (writes.on as { relink?: { records: number; seconds: number; changed: number } } | undefined)?.relink;
      if (cost) {
        report.push(`\`carnet mpi relink --apply\` over the index these writes built: ${cost.records} records in ${cost.seconds.toFixed(1)} s ` +
          `(${(cost.records / cost.seconds).toFixed(0)} records/s), ${cost.changed} changed (same model: none expected).`, '');
      }
    }
    if (o.dedupe > 0) {
      const d: DedupeResult = dedupeRun(DEFAULT_MPI_CONFIG, seededRandom(5), o.dedupe);
      json.dedupe = d;
      report.push(`## Full deduplication of ${d.records.toLocaleString('en')} synthetic records (in memory, same rules)`, '',
        `${d.seconds.toFixed(1)} s, ${Math.round(d.recordsPerSecond)} records/s; automatic precision ${f4(d.automatic.precision)}, recall ${f4(d.automatic.recall)}, F1 ${f4(d.automatic.f1)}; review queue ${d.reviewQueue}; F1 after review ${f4(d.withReview.f1)}.`, '');
    }
  }
  report.push(`Load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  json.loadEnd = loadavg();
  const text = report.join('\n');
  console.log(text);
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `mpi-${started.toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify(json, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
