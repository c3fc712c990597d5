import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createCarnet, type Carnet } from '../src/app/app.js';
import { loadConfig } from '../src/config/config.js';
import { adminQuery, assertLocal, withDatabase } from './postgres.js';
import { summarize } from './stats.js';

/**
 * `npm run bench:export`: Bulk Data export on PostgreSQL over a synthetic population — an identified system
 * export and a de-identified one (`_profile=de-identified`, k-anonymity check included): resources/s,
 * the time to the first file, kick-off and status-poll latency, and the process's peak RSS. The population
 * (persons × (1 Patient + N Observations)) is inserted straight into the `resource` table in batches
 * (what the export reads); the export itself runs the whole path: kick-off over HTTP with the platform
 * client's token, the durable job, keyset pages, checkpoints, files on disk.
 */
const USAGE = `Usage: npm run bench:export -- [--persons N] [--observations N] [--pg-url URL] [--keep-db] [--reuse]
  --persons N        persons (default 100000)
  --observations N   Observations per person (default 9: 1,000,000 resources for 100,000 persons)
  --pg-url URL       PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres)
  --db NAME          database (default carnet_research_bench); dropped at the end unless --keep-db
  --reuse            keep the database's population (no drop, no seeding)
  --seed-only        insert the population and stop (what the bench runs in a child process)`;

const BOOTSTRAP = { id: 'bench-bootstrap', secret: 'bench-bootstrap-secret-0123456789abcdef' };
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const FSAS = ['H2X', 'H3Z', 'G1R', 'J4K', 'H1A', 'G7H', 'J8Y', 'H4N'];

function patientOf(i: number): Record<string, unknown> {
  return {
    resourceType: 'Patient', id: `bp${i}`, meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00.000Z' },
    identifier: [{ system: 'urn:bench:nam', value: `NAM${String(i).padStart(8, '0')}` }], name: [{ family: `Famille${i}`, given: ['Prénom'] }],
    telecom: [{ system: 'phone', value: `514-555-${String(i % 10000).padStart(4, '0')}` }], gender: i % 2 ? 'female' : 'male',
    birthDate: `${1930 + (i % 80)}-0${1 + (i % 9)}-1${i % 10}`, address: [{ line: [`${i} rue Principale`], city: 'Montréal', state: 'QC', postalCode: `${FSAS[i % FSAS.length]} 1A1`, country: 'CA' }],
  };
}

function observationOf(i: number, n: number): Record<string, unknown> {
  return {
    resourceType: 'Observation', id: `bp${i}-o${n}`, meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00.000Z' }, status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { coding: [{ system: 'urn:bench:code', code: `c${n}`, display: 'Glucose' }], text: 'Glucose' }, subject: { reference: `Patient/bp${i}` },
    effectiveDateTime: `2024-0${1 + (n % 9)}-1${n % 10}T08:30:00-05:00`, valueQuantity: { value: 4 + (i % 50) / 10, unit: 'mmol/L' },
    note: [{ text: 'à jeun' }],
  };
}

async function seed(carnet: Carnet, persons: number, observations: number): Promise<number> {
  const batch = 500;
  let rows = 0;
  const started = performance.now();
  for (let from = 0; from < persons; from += batch) {
    const types: string[] = [];
    const ids: string[] = [];
    const patients: string[] = [];
    const contents: string[] = [];
    for (let i = from; i < Math.min(persons, from + batch); i++) {
      for (const r of [patientOf(i), ...Array.from({ length: observations }, (_, n) => observationOf(i, n))]) {
        types.push(r.resourceType as string);
        ids.push(r.id as string);
        patients.push(`bp${i}`);
        contents.push(JSON.stringify(r));
      }
    }
    await carnet.db.query(
      `INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, patient_id, content)
       SELECT t, i, 1, '2026-01-01T00:00:00Z', false, p, c FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(t, i, p, c)`,
      [types, ids, patients, contents],
    );
    rows += ids.length;
    if (from % 20_000 === 0) process.stderr.write(`seeded ${rows} resources (${Math.round(rows / ((performance.now() - started) / 1000))}/s)\n`);
  }
  await carnet.db.query('ANALYZE resource');
  return rows;
}

interface ExportFigures {
  readonly name: string;
  readonly resources: number;
  readonly seconds: number;
  readonly firstFileSeconds: number | undefined;
  readonly kickOffMs: number;
  readonly pollMs: ReturnType<typeof summarize>;
  readonly rssStartMb: number;
  readonly rssPeakMb: number;
  /** At the RSS peak: the V8 heap (used / committed) and memory outside it (Buffers, strings held natively). */
  readonly atPeak: { heapUsedMb: number; heapTotalMb: number; externalMb: number };
  readonly loadStart: string;
  readonly loadEnd: string;
  readonly report?: unknown;
}

async function runExport(carnet: Carnet, token: string, name: string, query: string): Promise<ExportFigures> {
  const inject = (method: 'GET' | 'DELETE', url: string, headers: Record<string, string> = {}) =>
    carnet.server.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...headers } });
  const loadStart = load();
  const rssStart = process.memoryUsage().rss;
  let rssPeak = rssStart;
  const k0 = performance.now();
  const kick = await inject('GET', `/fhir/$export${query}`, { accept: 'application/fhir+json', prefer: 'respond-async' });
  const kickOffMs = performance.now() - k0;
  if (kick.statusCode !== 202) throw new Error(`kick-off ${kick.statusCode}: ${kick.body}`);
  const status = String(kick.headers['content-location']).replace(/^https?:\/\/[^/]+/, '');
  const id = status.split('/').pop() as string;
  const started = performance.now();
  let firstFile: number | undefined;
  const polls: number[] = [];
  let atPeak = { heapUsedMb: 0, heapTotalMb: 0, externalMb: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss <= rssPeak) return;
    rssPeak = m.rss;
    atPeak = { heapUsedMb: m.heapUsed / 1e6, heapTotalMb: m.heapTotal / 1e6, externalMb: m.external / 1e6 };
  }, 100);
  const poller = setInterval(() => {
    const p0 = performance.now();
    void inject('GET', status).then(() => polls.push(performance.now() - p0));
    if (firstFile === undefined) {
      void carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM export_file WHERE export_id = $1 AND count > 0', [id]).then(({ rows }) => {
        if (firstFile === undefined && Number(rows[0]?.n) > 0) firstFile = (performance.now() - started) / 1000;
      });
    }
  }, 500);
  try {
    await carnet.background.runOnce();
  } finally {
    clearInterval(sampler);
    clearInterval(poller);
  }
  const seconds = (performance.now() - started) / 1000;
  const done = await inject('GET', status);
  if (done.statusCode !== 200) throw new Error(`export ${name} did not complete: ${done.statusCode} ${done.body}`);
  const manifest = JSON.parse(done.body) as { output: { count: number }[]; extension?: Record<string, unknown> };
  const resources = manifest.output.reduce((s, o) => s + o.count, 0);
  await inject('DELETE', status);
  return {
    name, resources, seconds, firstFileSeconds: firstFile, kickOffMs, pollMs: summarize(polls.sort((a, b) => a - b)),
    rssStartMb: rssStart / 1e6, rssPeakMb: rssPeak / 1e6, atPeak, loadStart, loadEnd: load(),
    ...(manifest.extension ? { report: manifest.extension['urn:carnet:export:release-report'] } : {}),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    persons: { type: 'string' }, observations: { type: 'string' }, 'pg-url': { type: 'string' }, db: { type: 'string' },
    'keep-db': { type: 'boolean' }, reuse: { type: 'boolean' }, 'seed-only': { type: 'boolean' }, help: { type: 'boolean' },
  } });
  if (values.help) return void console.log(USAGE);
  const persons = Number(values.persons ?? 100_000);
  const observations = Number(values.observations ?? 9);
  const server = values['pg-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  assertLocal(server);
  const database = values.db ?? 'carnet_research_bench';
  if (!/^carnet_research[a-z0-9_]*$/.test(database)) throw new Error('--db: a carnet_research* database');
  if (!values.reuse && !values['seed-only']) {
    await adminQuery(server, `DROP DATABASE IF EXISTS ${database}`);
    await adminQuery(server, `CREATE DATABASE ${database}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'carnet-export-bench-'));
  if (!values['seed-only']) console.log(`# Bulk export benchmark\n\nmachine: ${cpus().length} cores, load average ${load()} at start; PostgreSQL ${database}\n`);
  const config = loadConfig({
    PORT: '19050', CARNET_BASE_URL: 'http://127.0.0.1:19050', LOG_LEVEL: 'silent', DATABASE_URL: withDatabase(server, database),
    CARNET_BOOTSTRAP_CLIENT_ID: BOOTSTRAP.id, CARNET_BOOTSTRAP_CLIENT_SECRET: BOOTSTRAP.secret, CARNET_SECRET: 'bench-secret-that-is-long-enough-0123456789',
    CARNET_DEMO: 'off', CARNET_BACKGROUND: 'off', CARNET_MPI: 'off', CARNET_MLLP_PORT: 'off', CARNET_EXPORT_DIR: dir,
    // A de-identified export of 1M resources on a loaded machine outlasts the default 5-minute token.
    CARNET_ACCESS_TOKEN_SECONDS: '3600',
  });
  if (values['seed-only']) {
    const carnet = await createCarnet(config, { log: pino({ level: 'silent' }) });
    try {
      const s0 = performance.now();
      const rows = await seed(carnet, persons, observations);
      console.log(`population: ${rows.toLocaleString('en')} resources (${persons.toLocaleString('en')} Patients × ${observations} Observations), inserted in ${((performance.now() - s0) / 1000).toFixed(1)} s\n`);
    } finally {
      await carnet.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  if (!values.reuse) {
    // The population is inserted by another process, so the one measured holds only what a server holds.
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--seed-only', '--persons', String(persons), '--observations', String(observations),
      '--pg-url', server, '--db', database], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (child.status !== 0) throw new Error(`seeding failed (${child.status})`);
  }
  const carnet = await createCarnet(config, { log: pino({ level: 'silent' }) });
  try {
    const tokenResponse = await carnet.server.inject({
      method: 'POST', url: '/auth/token', payload: 'grant_type=client_credentials&scope=system/*.rs',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${BOOTSTRAP.id}:${BOOTSTRAP.secret}`).toString('base64')}` },
    });
    const token = (JSON.parse(tokenResponse.body) as { access_token: string }).access_token;
    const figures: ExportFigures[] = [];
    figures.push(await runExport(carnet, token, 'identified', '?_type=Patient,Observation'));
    figures.push(await runExport(carnet, token, 'de-identified', '?_type=Patient,Observation&_profile=de-identified'));
    console.log('| export | resources | seconds | **resources/s** | first file (s) | kick-off (ms) | poll p50 / p95 (ms) | RSS start → peak (MB) | at the peak: heap used / committed, external (MB) | load average start → end |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const f of figures) {
      const p = f.atPeak;
      console.log(`| ${f.name} | ${f.resources.toLocaleString('en')} | ${f.seconds.toFixed(1)} | **${Math.round(f.resources / f.seconds).toLocaleString('en')}** | ${f.firstFileSeconds?.toFixed(1) ?? '—'} | ${f.kickOffMs.toFixed(0)} | ${f.pollMs.p50.toFixed(1)} / ${f.pollMs.p95.toFixed(1)} | ${f.rssStartMb.toFixed(0)} → ${f.rssPeakMb.toFixed(0)} | ${p.heapUsedMb.toFixed(0)} / ${p.heapTotalMb.toFixed(0)}, ${p.externalMb.toFixed(0)} | ${f.loadStart} → ${f.loadEnd} |`);
    }
    const deid = figures.find((f) => f.report)?.report as { kAnonymity?: unknown } | undefined;
    if (deid) console.log(`\nde-identified release, k-anonymity: ${JSON.stringify(deid.kAnonymity)}`);
  } finally {
    await carnet.close();
    rmSync(dir, { recursive: true, force: true });
    if (!values['keep-db'] && !values.reuse) await adminQuery(server, `DROP DATABASE IF EXISTS ${database}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
