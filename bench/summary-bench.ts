#!/usr/bin/env node
/**
 * `npm run bench:summary`: latency of Patient/[id]/$summary (the IPS of the whole person) in process
 * (fastify inject: no network in the figures), on PostgreSQL when it answers (else PGlite), for the
 * persons of a generated demo population dated today, by the platform client; every request audited.
 * `--operation timeline` times the first page of Patient/[id]/$timeline instead (`--count`, default 50).
 * `--db-name` names the scratch PostgreSQL database (default carnet_bench_<time>).
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createCarnet } from '../src/app/app.js';
import { loadConfig } from '../src/config/config.js';
import { loadPopulation } from '../src/generate/load.js';
import { generatePopulation } from '../src/generate/population.js';
import { openPGlite } from '../src/storage/pglite-database.js';
import { openPostgres } from '../src/storage/postgres-database.js';
import { benchDatabaseName, createDatabase, dropDatabase, postgresReachable } from './postgres.js';
import { summarize } from './stats.js';

const { values } = parseArgs({ options: {
  persons: { type: 'string', default: '50' }, requests: { type: 'string', default: '300' }, 'pg-url': { type: 'string' }, db: { type: 'string' },
  operation: { type: 'string', default: 'summary' }, count: { type: 'string', default: '50' }, 'db-name': { type: 'string' },
} });
if (values.operation !== 'summary' && values.operation !== 'timeline') throw new Error('--operation is summary or timeline');
const OPERATION = values.operation === 'timeline' ? `$timeline?_count=${Number(values.count)}` : '$summary';
const TARGET = values.operation === 'timeline' ? 'p95 ≤ 30 ms a page' : 'p95 ≤ 50 ms';
const PG = values['pg-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = 'bench-secret-0123456789abcdef0123456789';

async function main(): Promise<void> {
  const usePg = values.db !== 'pglite' && (await postgresReachable(PG));
  const name = values['db-name'] ?? benchDatabaseName(new Date().toISOString().replace(/\D/g, '').slice(0, 14));
  const dbUrl = usePg ? await createDatabase(PG, name) : undefined;
  const db = dbUrl ? await openPostgres(dbUrl, 10) : await openPGlite('memory://');
  const config = loadConfig({ CARNET_BASE_URL: 'http://bench.local', CARNET_BOOTSTRAP_CLIENT_ID: 'bench', CARNET_BOOTSTRAP_CLIENT_SECRET: SECRET, CARNET_ACCESS_TOKEN_SECONDS: '3600', CARNET_BACKGROUND: 'off', LOG_LEVEL: 'warn' });
  const carnet = await createCarnet(config, { db, log: pino({ level: 'warn' }) });
  try {
    process.stderr.write(`loading ${values.persons} persons on ${db.description} …\n`);
    const population = generatePopulation({ persons: Number(values.persons), seed: 'bench-summary', referenceDate: new Date().toISOString().slice(0, 10) });
    const { groundTruth } = await loadPopulation(carnet.ctx, population);
    const t = await carnet.server.inject({ method: 'POST', url: '/auth/token', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`bench:${SECRET}`).toString('base64')}` }, payload: 'grant_type=client_credentials&scope=system/*.cruds' });
    const token = t.json().access_token as string;
    const ids = groundTruth.persons.map((p) => (p.records[0]?.patient ?? '').split('/')[1] as string);
    const get = async (url: string) => {
      const r = await carnet.server.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 200)}`);
      return r.body.length;
    };
    for (const id of ids.slice(0, 10)) await get(`/fhir/Patient/${id}/${OPERATION}`); // warm up
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < Number(values.requests); i++) {
      const start = performance.now();
      bytes += await get(`/fhir/Patient/${ids[i % ids.length]}/${OPERATION}`);
      samples.push(performance.now() - start);
    }
    const s = summarize(samples);
    const f = (x: number) => x.toFixed(1);
    console.log(`${OPERATION} on ${usePg ? 'PostgreSQL' : 'PGlite'}: ${s.count} requests over ${ids.length} persons, mean ${(bytes / s.count / 1024).toFixed(0)} KiB`);
    console.log(`  ms: min ${f(s.min)} p50 ${f(s.p50)} p95 ${f(s.p95)} p99 ${f(s.p99)} max ${f(s.max)} (target ${TARGET} on PostgreSQL)`);
  } finally {
    await carnet.close();
    if (dbUrl) await dropDatabase(PG, name);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
