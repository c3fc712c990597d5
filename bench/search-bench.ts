#!/usr/bin/env node
/**
 * `npm run bench:search`: loads Synthea transaction bundles (and replicas of them, new ids each time, up to
 * the size asked) into a real Carnet server on PostgreSQL through HTTP with full search indexing, then
 * times a fixed set of clinician queries. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { listBundleFiles, prepareBundles } from './bundles.js';
import { LoadedResources, loadPhase, type LoadPhaseResult } from './load.js';
import { assertLocal, benchDatabaseName, createDatabase, dropDatabase, serverVersion } from './postgres.js';
import { log } from './progress.js';
import { clinicianQueries, samplePatients, type QueryTemplate } from './search-queries.js';
import { authHeaders, startServer, type ServerChild } from './server.js';
import { summarize, type LatencySummary } from './stats.js';

interface Options {
  repoRoot: string;
  dir: string;
  limit: number | undefined;
  targetResources: number;
  pgUrl: string;
  dbUrl: string | undefined;
  requests: number;
  warmup: number;
  concurrency: number;
  patients: number;
  keepDb: boolean;
  workers: number;
}

const USAGE = `Usage: npm run bench:search -- [options]

  --dir <folder>        Synthea transaction bundles; default ../shared/data/synthea-r4/large
  --limit <n>           only the first n bundle files
  --resources <n>       load replicas of the bundles (new ids each pass) until at least n resources; default 1000000
  --pg-url <url>        PostgreSQL server for a fresh bench database; default postgres://postgres@127.0.0.1:5432/postgres
  --db-url <url>        reuse this already loaded database (skips loading)
  --requests <n>        timed requests per query; default 300
  --warmup <n>          untimed requests per query first; default 30
  --concurrency <n>     load concurrency; default 4
  --patients <n>        patients sampled for the queries; default 200
  --workers <n>         API processes of the server (CARNET_WORKERS); default 1
  --keep-db             keep the bench database`;

function parse(argv: string[]): Options {
  const repoRoot = resolve(new URL('.', import.meta.url).pathname, '..', '..');
  const o: Options = {
    repoRoot, dir: resolve(repoRoot, '..', 'shared', 'data', 'synthea-r4', 'large'), limit: undefined, targetResources: 1_000_000,
    pgUrl: 'postgres://postgres@127.0.0.1:5432/postgres', dbUrl: undefined, requests: 300, warmup: 30, concurrency: 4, patients: 200, keepDb: false, workers: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--dir': o.dir = resolve(value()); break;
      case '--limit': o.limit = Number(value()); break;
      case '--resources': o.targetResources = Number(value()); break;
      case '--pg-url': o.pgUrl = value(); break;
      case '--db-url': o.dbUrl = value(); break;
      case '--requests': o.requests = Number(value()); break;
      case '--warmup': o.warmup = Number(value()); break;
      case '--concurrency': o.concurrency = Number(value()); break;
      case '--patients': o.patients = Number(value()); break;
      case '--keep-db': o.keepDb = true; break;
      case '--workers': o.workers = Number(value()); break;
      case '--help': console.log(USAGE); process.exit(0); break;
      default: console.error(`Unknown option ${flag}\n\n${USAGE}`); process.exit(2);
    }
  }
  return o;
}

interface QueryResult {
  readonly name: string;
  readonly patientScoped: boolean;
  readonly latencyMs: LatencySummary;
  readonly meanEntries: number;
  readonly errors: number;
}

async function timeQuery(server: ServerChild, template: QueryTemplate, requests: number, warmup: number): Promise<QueryResult> {
  const samples: number[] = [];
  let entries = 0;
  let errors = 0;
  const urls = template.urls;
  if (urls.length === 0) return { name: template.name, patientScoped: template.patientScoped, latencyMs: summarize([]), meanEntries: 0, errors: 0 };
  for (let i = 0; i < warmup + requests; i++) {
    const url = `${server.baseUrl}/fhir/${urls[i % urls.length]}`;
    const t0 = performance.now();
    const response = await fetch(url, { headers: { accept: 'application/fhir+json', ...(await authHeaders(server.baseUrl)) } });
    const text = await response.text();
    const ms = performance.now() - t0;
    if (i < warmup) continue;
    if (response.status !== 200) {
      errors++;
      continue;
    }
    samples.push(ms);
    entries += (JSON.parse(text) as { entry?: unknown[] }).entry?.length ?? 0;
  }
  return { name: template.name, patientScoped: template.patientScoped, latencyMs: summarize(samples), meanEntries: entries / Math.max(1, samples.length), errors };
}

async function counts(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; n: string }>(`
      SELECT 'resources' AS name, count(*) AS n FROM resource WHERE NOT deleted
      UNION ALL SELECT 'index rows', (SELECT count(*) FROM search_token) + (SELECT count(*) FROM search_string) + (SELECT count(*) FROM search_date)
        + (SELECT count(*) FROM search_reference) + (SELECT count(*) FROM search_quantity) + (SELECT count(*) FROM search_uri) + (SELECT count(*) FROM search_number)
      UNION ALL SELECT 'database MB', pg_database_size(current_database()) / 1048576`);
    return Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  assertLocal(o.dbUrl ?? o.pgUrl);
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '_');
  const name = benchDatabaseName(`search_${stamp}`);
  const dbUrl = o.dbUrl ?? (await createDatabase(o.pgUrl, name));
  log(`Database: PostgreSQL ${await serverVersion(dbUrl)} (${o.dbUrl ? 'reused' : name})`);
  const server = await startServer({ repoRoot: o.repoRoot, env: { DATABASE_URL: dbUrl, ...(o.workers > 1 ? { CARNET_WORKERS: String(o.workers) } : {}) } });
  const loads: LoadPhaseResult[] = [];
  try {
    if (!o.dbUrl) {
      const files = listBundleFiles(o.dir, o.limit);
      const bundles = prepareBundles(files);
      const perPass = bundles.reduce((s, b) => s + b.entries, 0);
      const passes = Math.max(1, Math.ceil(o.targetResources / perPass));
      log(`${files.length} bundles, ${perPass.toLocaleString('en-US')} resources per pass, ${passes} pass(es)`);
      for (let pass = 1; pass <= passes; pass++) {
        loads.push(await loadPhase({ name: `load pass ${pass}/${passes}`, baseUrl: server.baseUrl, bundles, concurrency: o.concurrency, maxSeconds: 3600, prefer: 'minimal', loaded: new LoadedResources() }));
      }
      const client = new pg.Client({ connectionString: dbUrl });
      await client.connect();
      // What autovacuum does after a bulk load (PostgreSQL 13+ vacuums on inserts too): statistics, and the
      // visibility map that lets index-only scans skip the heap. Without it the first queries measure a
      // state no running server stays in.
      log('VACUUM ANALYZE (as autovacuum would after the load)…');
      await client.query('VACUUM ANALYZE');
      await client.end();
    }
    const size = await counts(dbUrl);
    log(`Loaded: ${JSON.stringify(size)}`);
    const templates = clinicianQueries(await samplePatients(dbUrl, o.patients));
    const results: QueryResult[] = [];
    for (const template of templates) {
      const result = await timeQuery(server, template, o.requests, o.warmup);
      log(`  ${template.name}: p50 ${result.latencyMs.p50.toFixed(2)} ms, p95 ${result.latencyMs.p95.toFixed(2)} ms, ${result.meanEntries.toFixed(1)} entries`);
      results.push(result);
    }
    const totalLoaded = loads.reduce((s, l) => s + l.resources, 0);
    const loadSeconds = loads.reduce((s, l) => s + l.seconds, 0);
    const lines = [
      '', `## Search benchmark — PostgreSQL, ${size.resources?.toLocaleString('en-US')} resources, ${size['index rows']?.toLocaleString('en-US')} index rows, ${size['database MB']} MB`, '',
      ...(loads.length ? [
        '### Load (POST /fhir transactions, full search indexing)', '',
        '| pass | bundles | resources | seconds | resources/s | bundle p95 ms |', '|---|--:|--:|--:|--:|--:|',
        ...loads.map((l) => `| ${l.name} | ${l.bundles} | ${l.resources.toLocaleString('en-US')} | ${l.seconds.toFixed(0)} | ${Math.round(l.resourcesPerSecond).toLocaleString('en-US')} | ${l.bundleLatencyMs.p95.toFixed(0)} |`),
        `| all | | ${totalLoaded.toLocaleString('en-US')} | ${loadSeconds.toFixed(0)} | ${Math.round(totalLoaded / loadSeconds).toLocaleString('en-US')} | |`, '',
      ] : []),
      '### Clinician queries (one client, sequential)', '',
      '| query | requests | errors | mean entries | p50 ms | p95 ms | p99 ms | target |', '|---|--:|--:|--:|--:|--:|--:|---|',
      ...results.map((r) => {
        const target = r.patientScoped ? (r.latencyMs.p95 <= 10 ? 'p95 ≤ 10 ms: met' : 'p95 ≤ 10 ms: NOT met') : r.name.startsWith('$everything (whole') ? (r.latencyMs.p95 <= 50 ? 'p95 ≤ 50 ms: met' : 'p95 ≤ 50 ms: NOT met') : '';
        return `| ${r.name} | ${r.latencyMs.count} | ${r.errors} | ${r.meanEntries.toFixed(1)} | ${r.latencyMs.p50.toFixed(2)} | ${r.latencyMs.p95.toFixed(2)} | ${r.latencyMs.p99.toFixed(2)} | ${target} |`;
      }),
    ];
    console.log(lines.join('\n'));
    const out = resolve(o.repoRoot, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(resolve(out, `search-${stamp}.json`), JSON.stringify({ size, loads, results }, null, 2));
  } finally {
    await server.stop();
    if (!o.dbUrl && !o.keepDb) await dropDatabase(o.pgUrl, name);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
