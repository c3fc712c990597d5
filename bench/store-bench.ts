#!/usr/bin/env node
/**
 * `npm run bench`: loads Synthea transaction bundles into a real Carnet server (child process) over HTTP,
 * then measures read/vread/update latency, and — on PostgreSQL — compares the load rate with a direct
 * bulk INSERT into the same database. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { bulkBaseline } from './bulk-baseline.js';
import { listBundleFiles, prepareBundles, type PreparedBundle } from './bundles.js';
import { latencyPhases, type LatencyResult } from './latency.js';
import { LoadedResources, loadPhase, type LoadPhaseResult } from './load.js';
import { parseOptions, USAGE, UsageError, type BenchOptions } from './options.js';
import { assertLocal, benchDatabaseName, createDatabase, dropDatabase, postgresReachable, serverVersion } from './postgres.js';
import { log } from './progress.js';
import { formatRun, writeJson, type DbRunResult, type TargetCheck } from './report.js';
import { startServer, type PhaseUsage, type ServerChild } from './server.js';

type DbKind = 'pglite' | 'postgres';

/** Cleanup that must happen even on Ctrl-C: stop the child, drop the database. */
const cleanups = new Set<() => Promise<void>>();
async function runCleanups(): Promise<void> {
  for (const cleanup of [...cleanups].reverse()) {
    cleanups.delete(cleanup);
    await cleanup().catch((error: unknown) => log(`cleanup failed: ${(error as Error).message}`));
  }
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '_');
}

function dirSizeMb(dir: string): number | undefined {
  try {
    return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) / 1024;
  } catch {
    return undefined;
  }
}

async function countRows(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; n: string }>(`
      SELECT 'resource' AS name, count(*) AS n FROM resource
      UNION ALL SELECT 'resource_version', count(*) FROM resource_version
      UNION ALL SELECT 'search index rows', (SELECT count(*) FROM search_token) + (SELECT count(*) FROM search_string) + (SELECT count(*) FROM search_date) + (SELECT count(*) FROM search_reference) + (SELECT count(*) FROM search_quantity) + (SELECT count(*) FROM search_uri) + (SELECT count(*) FROM search_number)
      UNION ALL SELECT 'database MB', pg_database_size(current_database()) / 1048576`);
    return Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
  } finally {
    await client.end().catch(() => undefined);
  }
}

function targets(run: Omit<DbRunResult, 'targets'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const concurrent = run.load.find((p) => p.concurrency > 1);
  if (concurrent) {
    checks.push({
      name: `transaction load, concurrency ${concurrent.concurrency}`,
      target: '≥ 2,000 resources/s',
      value: `${Math.round(concurrent.resourcesPerSecond).toLocaleString('en-US')} resources/s`,
      met: concurrent.resourcesPerSecond >= 2000,
    });
  }
  for (const read of run.latency.filter((l) => l.interaction === 'read')) {
    checks.push({ name: `read p95, concurrency ${read.concurrency}`, target: '≤ 5 ms', value: `${read.latencyMs.p95.toFixed(2)} ms`, met: read.latencyMs.p95 <= 5 });
  }
  checks.push({
    name: 'server peak RSS under load',
    target: '≤ 300 MB',
    value: `${Math.round(run.server.peakRssUnderLoadMb)} MB`,
    met: run.server.peakRssUnderLoadMb <= 300,
  });
  return checks;
}

async function runDb(kind: DbKind, options: BenchOptions, files: readonly string[], bundles: readonly PreparedBundle[], stamp: string): Promise<DbRunResult> {
  const startedAt = new Date().toISOString();
  let env: Record<string, string>;
  let database: string;
  let dbUrl: string | undefined;
  let dataDir: string | undefined;
  if (kind === 'postgres') {
    const name = benchDatabaseName(stamp);
    dbUrl = await createDatabase(options.pgUrl, name);
    if (!options.keepDb) cleanups.add(() => dropDatabase(options.pgUrl, name));
    env = { DATABASE_URL: dbUrl, ...(options.workers > 1 ? { CARNET_WORKERS: String(options.workers) } : {}) };
    database = `PostgreSQL ${await serverVersion(dbUrl)}, database ${name}${options.workers > 1 ? `, ${options.workers} API processes` : ''}`;
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'carnet-bench-pglite-'));
    const dir = dataDir;
    if (!options.keepDb) cleanups.add(async () => rmSync(dir, { recursive: true, force: true }));
    env = { CARNET_DATA_DIR: dataDir };
    database = `PGlite at ${dataDir}`;
  }
  log(`\n== ${kind}: ${database}`);

  let server: ServerChild | undefined;
  const stopServer = async () => {
    const s = server;
    server = undefined;
    if (s) await s.stop();
  };
  cleanups.add(stopServer);
  server = await startServer({ repoRoot: options.repoRoot, env: { ...env, ...options.serverEnv }, cpuProfDir: options.cpuProfDir, nodeArgs: options.nodeArgs });
  const child = server;
  const rssAfterStartMb = child.sampler.currentRssMb();
  log(`   server pid ${child.pid} at ${child.baseUrl}, RSS ${Math.round(rssAfterStartMb)} MB after start`);

  const phase = async <T>(run: () => Promise<T>): Promise<T & { usage: PhaseUsage }> => {
    const end = child.sampler.beginPhase();
    const result = await run();
    return { ...result, usage: end() };
  };

  const loaded = new LoadedResources();
  const serialCount = Math.min(bundles.length, Math.max(1, Math.round(bundles.length * options.serialShare)));
  const load: (LoadPhaseResult & { usage: PhaseUsage })[] = [];
  const common = { baseUrl: child.baseUrl, maxSeconds: options.maxSeconds, prefer: options.prefer, loaded };
  load.push(await phase(() => loadPhase({ ...common, name: 'load c1', bundles: bundles.slice(0, serialCount), concurrency: 1 })));
  if (serialCount < bundles.length) {
    const name = `load c${options.concurrency}`;
    load.push(await phase(() => loadPhase({ ...common, name, bundles: bundles.slice(serialCount), concurrency: options.concurrency })));
  }

  const latency: (LatencyResult & { usage: PhaseUsage })[] = [];
  const measured = await latencyPhases({
    baseUrl: child.baseUrl,
    loaded,
    requests: options.requests,
    warmup: options.warmup,
    concurrencies: [...new Set([1, options.concurrency])],
    maxSeconds: options.maxSeconds,
    prefer: options.prefer,
    around: async (_name, run) => {
      const end = child.sampler.beginPhase();
      const result = await run();
      latency.push({ ...(result as LatencyResult), usage: end() });
      return result;
    },
  });
  if (measured.length !== latency.length) throw new Error('latency accounting mismatch');

  const peakRssMb = child.sampler.peakRssMb;
  const peakRssUnderLoadMb = Math.max(0, ...load.map((p) => p.usage.peakRssMb), ...latency.map((l) => l.usage.peakRssMb));
  let rowsInDatabase: Record<string, number> | undefined;
  if (dbUrl) rowsInDatabase = await countRows(dbUrl).catch(() => undefined);
  await stopServer();
  cleanups.delete(stopServer);
  if (dataDir) {
    const size = dirSizeMb(dataDir);
    if (size !== undefined) rowsInDatabase = { 'data directory MB': Math.round(size) };
  }
  if (options.cpuProfDir) {
    const profiles = readdirSync(options.cpuProfDir).filter((f) => f.endsWith('.cpuprofile'));
    log(`   CPU profiles in ${options.cpuProfDir}: ${profiles.join(', ')}`);
  }

  let baseline: DbRunResult['baseline'];
  if (kind === 'postgres' && dbUrl && !options.skipBaseline) {
    log('   baseline: direct bulk INSERT into PostgreSQL (server stopped)');
    const b = await bulkBaseline({ url: dbUrl, files, batchSize: 1000, maxSeconds: options.maxSeconds });
    const concurrent = load.find((p) => p.concurrency > 1) ?? load[0];
    baseline = { ...b, ratioServerToBaseline: concurrent && b.resourcesPerSecond > 0 ? concurrent.resourcesPerSecond / b.resourcesPerSecond : undefined };
  }

  const resourcesInFiles = bundles.reduce((sum, b) => sum + b.entries, 0);
  const partial = {
    db: kind, database, startedAt, files: files.length, resourcesInFiles, load, latency,
    ...(baseline ? { baseline } : {}),
    server: { peakRssMb, peakRssUnderLoadMb, rssAfterStartMb },
    ...(rowsInDatabase ? { rowsInDatabase } : {}),
  };
  return { ...partial, targets: targets(partial) };
}

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  assertLocal(options.pgUrl);

  const files = listBundleFiles(options.dir, options.limit);
  if (files.length === 0) throw new Error(`No .json.gz or .json bundles in ${options.dir}`);

  let kinds: DbKind[];
  const reachable = await postgresReachable(options.pgUrl);
  if (options.db === undefined) {
    kinds = reachable ? ['postgres', 'pglite'] : ['pglite'];
    log(`PostgreSQL ${reachable ? 'answers' : 'does not answer'} at ${options.pgUrl}: running ${kinds.join(' and ')}`);
  } else {
    kinds = options.db === 'both' ? ['postgres', 'pglite'] : [options.db];
    if (kinds.includes('postgres') && !reachable) throw new Error(`PostgreSQL does not answer at ${options.pgUrl}`);
  }

  log(`Reading ${files.length} bundle files from ${options.dir} …`);
  const t0 = performance.now();
  const bundles = prepareBundles(files);
  const resources = bundles.reduce((sum, b) => sum + b.entries, 0);
  log(`  ${resources.toLocaleString('en-US')} resources (${bundles.reduce((s, b) => s + b.conditional, 0)} as conditional creates), prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const stamp = timestamp();
  const outputs: string[] = [];
  for (const kind of kinds) {
    try {
      const run = await runDb(kind, options, files, bundles, stamp);
      const text = formatRun(run);
      console.log(text);
      const path = writeJson(options.resultsDir, kind, stamp, {
        benchmark: 'store',
        options: { ...options, files: files.length },
        node: process.version,
        cpus: (await import('node:os')).cpus().length,
        ...run,
      });
      outputs.push(path);
    } finally {
      await runCleanups();
    }
  }
  log(`\nResults: ${outputs.join(', ')}`);
  return 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping the server and removing the bench database …`);
    void runCleanups().finally(() => process.exit(130));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    console.error(error instanceof Error ? error.stack ?? error.message : error);
    await runCleanups();
    process.exitCode = 1;
  },
);
