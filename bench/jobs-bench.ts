#!/usr/bin/env node
/**
 * `npm run bench:jobs`: the job queue's throughput with one and two API processes on PostgreSQL (and in
 * one process on PGlite), and the lag of change events behind the writes while the store bench's
 * Synthea bundles load. See docs/events-and-jobs.md and docs/operations.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { Background } from '../src/app/background.js';
import { loadConfig } from '../src/config/config.js';
import type { ChangeEvent } from '../src/events/event.js';
import { Jobs } from '../src/jobs/jobs.js';
import { withCommitSignals } from '../src/storage/commit-signals.js';
import type { Database } from '../src/storage/database.js';
import { migrate } from '../src/storage/migrate.js';
import { openPGlite } from '../src/storage/pglite-database.js';
import { openPostgres } from '../src/storage/postgres-database.js';
import { listBundleFiles, prepareBundles } from './bundles.js';
import { assertLocal, benchDatabaseName, createDatabase, dropDatabase } from './postgres.js';
import { log } from './progress.js';
import { authHeaders, startServer } from './server.js';
import { summarize, type LatencySummary } from './stats.js';

interface Options {
  jobs: number;
  pgUrl: string;
  dir: string;
  limit: number;
  concurrency: number;
}

function parse(argv: readonly string[]): Options {
  const repoRoot = resolve(new URL('.', import.meta.url).pathname, '..', '..');
  const o: Options = { jobs: 20_000, pgUrl: 'postgres://postgres@127.0.0.1:5432/postgres', dir: resolve(repoRoot, '..', 'shared', 'data', 'synthea-r4', 'large'), limit: 40, concurrency: 4 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--jobs') o.jobs = Number(value);
    else if (flag === '--pg-url') o.pgUrl = String(value);
    else if (flag === '--dir') o.dir = String(value);
    else if (flag === '--limit') o.limit = Number(value);
    else if (flag === '--concurrency') o.concurrency = Number(value);
    else {
      console.log('Usage: npm run bench:jobs -- [--jobs 20000] [--limit 40 bundles for the lag phase] [--concurrency 4] [--pg-url URL] [--dir folder]');
      process.exit(flag === '--help' ? 0 : 2);
    }
    i++;
  }
  return o;
}

const repoRoot = resolve(new URL('.', import.meta.url).pathname, '..', '..');
const silent = pino({ level: 'silent' });

async function enqueue(db: Database, n: number, runAt: Date): Promise<void> {
  const jobs = new Jobs(db, () => new Date());
  for (let done = 0; done < n; done += 1000) {
    await jobs.enqueueMany(db, Array.from({ length: Math.min(1000, n - done) }, (_, i) => ({ kind: 'bench.noop', payload: { i: done + i }, runAt })));
  }
}

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function child(url: string): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [resolve(repoRoot, 'dist', 'bench', 'jobs-child.js')], {
    env: { ...process.env, DATABASE_URL: url, CARNET_MLLP_PORT: 'off', LOG_LEVEL: 'warn', CARNET_DB_POOL_SIZE: '10', CARNET_BACKGROUND: 'on' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((ready, fail) => {
    proc.stdout?.on('data', (chunk: Buffer) => { if (chunk.toString().includes('READY')) ready(proc); });
    proc.once('exit', (code) => fail(new Error(`bench child exited (${code})`)));
  });
}

/** Jobs/s of `processes` API processes draining `n` no-op jobs that all become due at one instant. */
async function throughput(url: string, processes: number, n: number): Promise<number> {
  const db = await openPostgres(url, 4);
  try {
    await db.query('DELETE FROM job');
    const due = new Date(Date.now() + 20_000);
    await enqueue(db, n, due);
    const children = await Promise.all(Array.from({ length: processes }, () => child(url)));
    const wait = due.getTime() - Date.now();
    if (wait < 0) log(`  (the processes took longer to start than planned: measured from their start)`);
    await new Promise((r) => setTimeout(r, Math.max(0, wait)));
    const t0 = performance.now();
    await until(async () => Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM job WHERE state = 'done'`)).rows[0]?.n) === n, 600_000);
    const seconds = (performance.now() - t0) / 1000;
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
    return n / seconds;
  } finally {
    await db.close();
  }
}

async function pgliteThroughput(n: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'carnet-jobs-bench-'));
  const db = withCommitSignals(await openPGlite(dir));
  try {
    await migrate(db);
    const background = new Background(db, () => new Date(), silent, loadConfig({}).background, 'public');
    background.jobs.define('bench.noop', async () => undefined);
    await enqueue(db, n, new Date());
    const t0 = performance.now();
    const { jobs } = await background.runOnce();
    const seconds = (performance.now() - t0) / 1000;
    await background.close();
    if (jobs !== n) throw new Error(`ran ${jobs} of ${n}`);
    return n / seconds;
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface LagResult {
  readonly events: number;
  readonly resources: number;
  readonly seconds: number;
  /** From the version's lastUpdated (stamped before the write's transaction commits) to its handling. */
  readonly sinceWriteMs: LatencySummary;
  /** From the HTTP response of its transaction (the commit) to its handling by the consumer. */
  readonly sinceResponseMs: LatencySummary;
}

/** Loads bundles into a server child while a consumer in this process (another process, woken by NOTIFY) times each event. */
async function eventLag(url: string, options: Options): Promise<LagResult> {
  const server = await startServer({ repoRoot, env: { DATABASE_URL: url, CARNET_MLLP_PORT: 'off' } });
  const db = withCommitSignals(await openPostgres(url, 4));
  const background = new Background(db, () => new Date(), silent, loadConfig({}).background, 'public');
  const sinceWrite: number[] = [];
  const handledAt = new Map<string, number>();
  try {
    await background.events.register({
      name: 'bench.lag', batchSize: 500,
      async handle(events: readonly ChangeEvent[]) {
        const now = Date.now();
        for (const e of events) {
          sinceWrite.push(now - Date.parse(e.at));
          handledAt.set(`${e.resourceType}/${e.id}`, now);
        }
      },
    });
    await background.start();
    const bundles = prepareBundles(listBundleFiles(options.dir, options.limit));
    const responses = new Map<string, number>();
    let next = 0;
    let resources = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: options.concurrency }, async () => {
      while (next < bundles.length) {
        const bundle = bundles[next++];
        if (!bundle) return;
        const response = await fetch(`${server.baseUrl}/fhir`, {
          method: 'POST', headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal', ...(await authHeaders(server.baseUrl)) }, body: bundle.body,
        });
        const body = (await response.json()) as { entry?: { response?: { location?: string } }[] };
        const at = Date.now();
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        resources += bundle.entries;
        for (const entry of body.entry ?? []) {
          const m = /\/fhir\/([A-Za-z]+\/[^/]+)\/_history/.exec(entry.response?.location ?? '');
          if (m) responses.set(m[1] as string, at);
        }
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    await until(async () => (await background.events.lag('bench.lag'))[0]?.behind === 0, 120_000);
    const sinceResponse = [...responses].flatMap(([key, at]) => (handledAt.has(key) ? [(handledAt.get(key) as number) - at] : []));
    return { events: sinceWrite.length, resources, seconds, sinceWriteMs: summarize(sinceWrite), sinceResponseMs: summarize(sinceResponse) };
  } finally {
    await background.close();
    await db.close();
    await server.stop();
  }
}

const fmt = (s: LatencySummary) => `p50 ${s.p50.toFixed(0)} ms, p95 ${s.p95.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms, max ${s.max.toFixed(0)} ms (${s.count} events)`;

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  assertLocal(options.pgUrl);
  log(`PGlite, one process: ${options.jobs} no-op jobs …`);
  log(`  ${Math.round(await pgliteThroughput(options.jobs))} jobs/s`);
  const name = benchDatabaseName(`jobs_${Date.now()}`);
  const url = await createDatabase(options.pgUrl, name);
  try {
    const bootstrap = await openPostgres(url, 2);
    await migrate(bootstrap);
    await bootstrap.close();
    for (const processes of [1, 2]) {
      log(`PostgreSQL, ${processes} process${processes > 1 ? 'es' : ''}: ${options.jobs} no-op jobs …`);
      log(`  ${Math.round(await throughput(url, processes, options.jobs))} jobs/s`);
    }
    log(`Event lag while ${options.limit} Synthea bundles load at concurrency ${options.concurrency} (consumer in another process, woken by NOTIFY) …`);
    const lag = await eventLag(url, options);
    log(`  load: ${lag.resources} resources in ${lag.seconds.toFixed(1)} s (${Math.round(lag.resources / lag.seconds)} resources/s)`);
    log(`  since the HTTP response (commit): ${fmt(lag.sinceResponseMs)}`);
    log(`  since the version was stamped:   ${fmt(lag.sinceWriteMs)}`);
  } finally {
    await dropDatabase(options.pgUrl, name);
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
