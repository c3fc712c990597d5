import { parseArgs } from 'node:util';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { oru } from '../test/hl7v2/messages.js';
import { msa, RawMllpClient } from '../test/hl7v2/mllp-client.js';
import { freePort, startServer, type PhaseUsage } from './server.js';
import { perSecond, summarize, type LatencySummary } from './stats.js';

/**
 * `npm run bench:hl7`: ORU^R01 messages per second end to end — sent over MLLP to a real `carnet serve`
 * child on PostgreSQL, counted when the ACK (sent after the FHIR resources committed) is received — over 1
 * and over 4 connections, with ACK latency percentiles and the CPU use of server, PostgreSQL and this client.
 */

const USAGE = `Usage: npm run bench:hl7 -- [options]

  --messages <n>      ORU^R01 messages per phase; default 3000
  --results <n>       OBX per message; default 10
  --connections <l>   comma-separated connection counts; default 1,4
  --patients <n>      distinct patients (messages are spread over them); default 500
  --pg-url <url>      PostgreSQL server; default $DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres
  --workers <n>       API processes of the server (CARNET_WORKERS); default 1
  --cpu-prof <dir>    run the server under node --cpu-prof, profiles written to <dir>
  --keep-db           keep the bench database
  --help`;

interface PhaseResult {
  readonly connections: number;
  readonly messages: number;
  readonly seconds: number;
  readonly messagesPerSecond: number;
  readonly resourcesPerSecond: number;
  readonly ackLatencyMs: LatencySummary;
  readonly usage: PhaseUsage;
}

function repoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return basename(dirname(here)) === 'dist' ? resolve(here, '..', '..') : resolve(here, '..');
}

async function runPhase(port: number, connections: number, messages: readonly string[], results: number, begin: () => () => PhaseUsage): Promise<PhaseResult> {
  const clients = await Promise.all(Array.from({ length: connections }, () => RawMllpClient.connect(port)));
  const latencies: number[] = [];
  let next = 0;
  const end = begin();
  const started = performance.now();
  await Promise.all(clients.map(async (client) => {
    for (;;) {
      const i = next++;
      if (i >= messages.length) return;
      const t0 = performance.now();
      const ack = await client.send(messages[i] as string);
      latencies.push(performance.now() - t0);
      const code = msa(ack).code;
      if (code !== 'AA') throw new Error(`message ${i} answered ${code}: ${ack}`);
    }
  }));
  const ms = performance.now() - started;
  const usage = end();
  for (const client of clients) client.close();
  return {
    connections,
    messages: messages.length,
    seconds: ms / 1000,
    messagesPerSecond: perSecond(messages.length, ms),
    // Per message: the results, the report, the Binary (original) and the Provenance (the patient once).
    resourcesPerSecond: perSecond(messages.length * (results + 3), ms),
    ackLatencyMs: summarize(latencies),
    usage,
  };
}

function report(phases: readonly PhaseResult[], results: number): string {
  const f = (n: number, digits = 1) => n.toFixed(digits);
  const lines = [
    `## HL7 v2 gateway: ORU^R01 (${results} OBX each) over MLLP, PostgreSQL`,
    '',
    '| connections | messages | msg/s | resources/s | ACK p50 ms | p95 ms | p99 ms | server cores | postgres cores | bench cores | other cores | server RSS MB |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...phases.map((p) => `| ${p.connections} | ${p.messages} | ${f(p.messagesPerSecond)} | ${f(p.resourcesPerSecond, 0)} | ${f(p.ackLatencyMs.p50)} | ${f(p.ackLatencyMs.p95)} | ${f(p.ackLatencyMs.p99)} | ${f(p.usage.cores.server, 2)} | ${f(p.usage.cores.postgres, 2)} | ${f(p.usage.cores.bench, 2)} | ${f(p.usage.cores.other, 2)} | ${f(p.usage.peakRssMb, 0)} |`),
    '',
    `Target (issue #7): ≥ 300 ORU messages/s with ~10 OBX each. Best here: ${f(Math.max(...phases.map((p) => p.messagesPerSecond)))} msg/s.`,
  ];
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string' }, results: { type: 'string' }, connections: { type: 'string' }, patients: { type: 'string' },
      'pg-url': { type: 'string' }, workers: { type: 'string' }, 'cpu-prof': { type: 'string' }, 'keep-db': { type: 'boolean' }, help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const count = Number(values.messages ?? 3000);
  const results = Number(values.results ?? 10);
  const patients = Number(values.patients ?? 500);
  const workers = Number(values.workers ?? 1);
  const connectionCounts = (values.connections ?? '1,4').split(',').map(Number);
  const pgUrl = values['pg-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `carnet_bench_hl7_${Date.now()}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const dbUrl = new URL(pgUrl);
  dbUrl.pathname = `/${database}`;
  const mllpPort = await freePort();
  const server = await startServer({ repoRoot: repoRoot(), env: { DATABASE_URL: dbUrl.toString(), CARNET_MLLP_PORT: String(mllpPort), CARNET_DB_POOL_SIZE: '10', CARNET_WORKERS: String(workers) }, cpuProfDir: values['cpu-prof'] });
  const phases: PhaseResult[] = [];
  try {
    // Warm-up (JIT, caches, connections), then one phase per connection count, each with fresh messages.
    const warm = Array.from({ length: 100 }, (_, i) => oru({ controlId: `W-${i}`, mrn: `W${i % 20}`, order: `W-${i}`, results }));
    await runPhase(mllpPort, 2, warm, results, () => server.sampler.beginPhase());
    for (const connections of connectionCounts) {
      const messages = Array.from({ length: count }, (_, i) => oru({ controlId: `B${connections}-${i}`, mrn: `P${i % patients}`, order: `B${connections}-${i}`, results }));
      const phase = await runPhase(mllpPort, connections, messages, results, () => server.sampler.beginPhase());
      phases.push(phase);
      console.error(`${connections} connection(s): ${phase.messagesPerSecond.toFixed(1)} msg/s, ACK p95 ${phase.ackLatencyMs.p95.toFixed(1)} ms`);
    }
    console.log(report(phases, results));
  } finally {
    await server.stop();
    if (!values['keep-db']) await admin.query(`DROP DATABASE ${database}`);
    await admin.end();
  }
  return 0;
}

main().then((code) => {
  process.exitCode = code;
}, (error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
