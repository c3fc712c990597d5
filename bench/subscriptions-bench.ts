#!/usr/bin/env node
/**
 * `npm run bench:subscriptions`: notification latency from a write's commit to its delivery at a local
 * rest-hook endpoint, notifications/s, and the write throughput with and without subscriptions — against
 * the real `carnet serve` on PostgreSQL, with N active subscriptions owned by a non-platform system client
 * (so the consent visibility SQL runs in every match). See docs/subscriptions.md.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { WebSocket } from 'ws';
import { assertLocal, benchDatabaseName, createDatabase, dropDatabase, postgresReachable } from './postgres.js';
import { log } from './progress.js';
import { startServer, type ServerChild } from './server.js';
import { perSecond, seededRandom, summarize, type LatencySummary } from './stats.js';

interface Options {
  subscriptions: number[];
  patients: number;
  rate: number;
  seconds: number;
  concurrency: number;
  throughputSeconds: number;
  pgUrl: string;
  channels: Channel[];
  cpuProf: string | undefined;
}

type Channel = 'rest-hook' | 'websocket';
type Arrivals = { arrivals: Map<string, number[]>; count: () => number };

function parse(argv: readonly string[]): Options {
  const o: Options = { subscriptions: [100, 1000, 10_000], patients: 1000, rate: 200, seconds: 10, concurrency: 8, throughputSeconds: 10, pgUrl: 'postgres://postgres@127.0.0.1:5432/postgres', channels: ['rest-hook', 'websocket'], cpuProf: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ''];
    if (flag === '--subscriptions') o.subscriptions = value.split(',').map(Number);
    else if (flag === '--patients') o.patients = Number(value);
    else if (flag === '--rate') o.rate = Number(value);
    else if (flag === '--seconds') o.seconds = Number(value);
    else if (flag === '--concurrency') o.concurrency = Number(value);
    else if (flag === '--throughput-seconds') o.throughputSeconds = Number(value);
    else if (flag === '--pg-url') o.pgUrl = value;
    else if (flag === '--channels') o.channels = value.split(',') as Channel[];
    else if (flag === '--cpu-prof') o.cpuProf = resolve(value);
    else {
      console.log('Usage: npm run bench:subscriptions -- [--subscriptions 100,1000,10000] [--patients 1000] [--rate 200 writes/s] [--seconds 10] [--concurrency 8] [--throughput-seconds 10] [--pg-url URL] [--cpu-prof DIR]');
      process.exit(flag === '--help' ? 0 : 2);
    }
  }
  return o;
}

const repoRoot = resolve(new URL('.', import.meta.url).pathname, '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LAB = { id: 'bench-lab', secret: 'bench-lab-secret-0123456789abcdef' };

/** Each event of a notification Bundle (entries after the SubscriptionStatus; one Bundle may carry several): when it arrived, by Observation id. */
function record(arrivals: Map<string, number[]>, body: { entry?: { fullUrl?: string }[] }, at: number): number {
  const events = (body.entry ?? []).slice(1);
  for (const e of events) {
    const id = e.fullUrl?.split('/').pop() ?? '';
    arrivals.set(id, [...(arrivals.get(id) ?? []), at]);
  }
  return Math.max(1, events.length);
}

/** The endpoint: when each notification (subscription path, Observation id) arrived. */
function receiver(): Promise<{ url: string; arrivals: Map<string, number[]>; count: () => number; server: Server }> {
  const arrivals = new Map<string, number[]>();
  let count = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      count++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { entry?: { fullUrl?: string }[] };
      count += record(arrivals, body, at) - 1;
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((ready) => server.listen(Number(process.env.BENCH_RECEIVER_PORT ?? 0), '127.0.0.1', () => ready({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals, count: () => count, server })));
}

async function call(base: string, auth: string, method: string, path: string, body?: unknown, type = 'application/fhir+json'): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${auth}`, ...(body !== undefined ? { 'content-type': type } : {}) }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}

async function labToken(server: ServerChild): Promise<string> {
  const admin = await server.token();
  const org = await call(server.baseUrl, admin, 'PUT', '/fhir/Organization/lab', { resourceType: 'Organization', id: 'lab', name: 'Laboratoire' });
  if (org.status >= 300) throw new Error(`organization: ${org.status}`);
  const client = await call(server.baseUrl, admin, 'POST', '/auth/admin/clients', {
    id: LAB.id, name: 'Bench lab', kind: 'confidential', secret: LAB.secret, scope: 'system/Observation.crs system/Subscription.crus system/Patient.crs', organization: 'Organization/lab',
  }, 'application/json');
  if (client.status !== 201) throw new Error(`client: ${client.status} ${JSON.stringify(client.json)}`);
  const r = await fetch(`${server.baseUrl}/auth/token`, {
    method: 'POST', body: 'grant_type=client_credentials&scope=system/Observation.crs system/Subscription.crus system/Patient.crs',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${LAB.id}:${LAB.secret}`).toString('base64')}` },
  });
  return ((await r.json()) as { access_token: string }).access_token;
}

async function transaction(base: string, auth: string, entries: unknown[]): Promise<string[]> {
  const r = await call(base, auth, 'POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: entries });
  if (r.status !== 200) throw new Error(`transaction: ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
  return ((r.json as { entry: { response: { location: string } }[] }).entry).map((e) => /Subscription\/([^/]+)/.exec(e.response.location)?.[1] ?? '');
}

/** Websocket subscribers: one socket binding every subscription (100 per token), arrivals by Observation id. */
async function sockets(server: ServerChild, auth: string, ids: readonly string[]): Promise<Arrivals & { close: () => void }> {
  const arrivals = new Map<string, number[]>();
  let count = 0;
  const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/ws/subscriptions`);
  await new Promise<void>((ready, fail) => { ws.once('open', () => ready()); ws.once('error', fail); });
  let handshakes = 0;
  ws.on('message', (data) => {
    const at = performance.now();
    const body = JSON.parse(String(data)) as { entry?: { fullUrl?: string; resource?: { parameter?: { name: string; valueCode?: string }[] } }[] };
    const type = body.entry?.[0]?.resource?.parameter?.find((p) => p.name === 'type')?.valueCode;
    if (type === 'handshake') { handshakes++; return; }
    if (type !== 'event-notification') return;
    count += record(arrivals, body, at);
  });
  for (let i = 0; i < ids.length; i += 100) {
    const r = await call(server.baseUrl, auth, 'POST', '/fhir/Subscription/$get-ws-binding-token', { resourceType: 'Parameters', parameter: ids.slice(i, i + 100).map((id) => ({ name: 'id', valueString: id })) });
    if (r.status !== 200) throw new Error(`binding token: ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
    ws.send(`bind-with-token: ${(r.json as { parameter: { name: string; valueString?: string }[] }).parameter.find((p) => p.name === 'token')?.valueString}`);
  }
  const end = Date.now() + 120_000;
  while (handshakes < ids.length && Date.now() < end) await sleep(50);
  return { arrivals, count: () => count, close: () => ws.close() };
}

async function setup(server: ServerChild, auth: string, o: Options, n: number, endpoint: string, channel: Channel): Promise<string[]> {
  const ids: string[] = [];
  // The patients are registered by the platform client: the lab may not choose a Patient's id (an update-as-create).
  const admin = await server.token();
  for (let i = 0; i < o.patients; i += 500) {
    await transaction(server.baseUrl, admin, Array.from({ length: Math.min(500, o.patients - i) }, (_, k) => ({
      request: { method: 'PUT', url: `Patient/p${i + k}` }, resource: { resourceType: 'Patient', id: `p${i + k}`, name: [{ family: `P${i + k}` }] },
    })));
  }
  for (let i = 0; i < n; i += 200) {
    ids.push(...await transaction(server.baseUrl, auth, Array.from({ length: Math.min(200, n - i) }, (_, k) => ({
      request: { method: 'POST', url: 'Subscription' },
      resource: {
        resourceType: 'Subscription', status: 'requested', reason: 'bench', criteria: `Observation?patient=Patient/p${(i + k) % o.patients}&category=laboratory`,
        channel: channel === 'rest-hook' ? { type: 'rest-hook', endpoint: `${endpoint}/s${i + k}`, payload: 'application/fhir+json' } : { type: 'websocket', payload: 'application/fhir+json' },
      },
    }))));
  }
  return ids;
}

function observation(patient: number, i: number): unknown {
  return {
    resourceType: 'Observation', status: 'final', subject: { reference: `Patient/p${patient}` },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: 'Potassium' }] }, valueQuantity: { value: 3 + (i % 20) / 10, unit: 'mmol/L' },
  };
}

interface Phase {
  readonly subscriptions: number;
  readonly writes: number;
  readonly notifications: number;
  readonly expected: number;
  readonly fromResponse: LatencySummary;
  readonly fromRequest: LatencySummary;
  readonly notificationsPerSecond: number;
  readonly writesPerSecond: number;
}

/** Open loop at `rate` writes/s; latency per notification from the write's response (≈ its commit) and from its request. */
async function latencyPhase(server: ServerChild, auth: string, o: Options, n: number, rx: Arrivals): Promise<Phase> {
  const random = seededRandom(n + 1);
  const sent = new Map<string, { request: number; response: number; patient: number }>();
  const pending: Promise<void>[] = [];
  const total = o.rate * o.seconds;
  const start = performance.now();
  const before = rx.count();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const patient = Math.floor(random() * o.patients);
    const request = performance.now();
    pending.push(call(server.baseUrl, auth, 'POST', '/fhir/Observation', observation(patient, i)).then((r) => {
      if (r.status !== 201) throw new Error(`write: ${r.status}`);
      sent.set((r.json as { id: string }).id, { request, response: performance.now(), patient });
    }));
  }
  await Promise.all(pending);
  const writeMs = performance.now() - start;
  const perPatient = (p: number) => Math.floor(n / o.patients) + (p < n % o.patients ? 1 : 0);
  const expected = [...sent.values()].reduce((sum, s) => sum + perPatient(s.patient), 0);
  const end = Date.now() + 120_000;
  while (rx.count() - before < expected && Date.now() < end) await sleep(20);
  const lastArrival = performance.now();
  const fromResponse: number[] = [];
  const fromRequest: number[] = [];
  for (const [id, s] of sent) {
    for (const at of rx.arrivals.get(id) ?? []) {
      fromResponse.push(Math.max(0, at - s.response));
      fromRequest.push(at - s.request);
    }
  }
  return {
    subscriptions: n, writes: sent.size, notifications: rx.count() - before, expected, fromResponse: summarize(fromResponse), fromRequest: summarize(fromRequest),
    notificationsPerSecond: perSecond(rx.count() - before, lastArrival - start), writesPerSecond: perSecond(sent.size, writeMs),
  };
}

/** Closed loop: `concurrency` writers for `throughputSeconds`, writes/s. */
async function throughputPhase(server: ServerChild, auth: string, o: Options): Promise<number> {
  const random = seededRandom(7);
  let writes = 0;
  const end = performance.now() + o.throughputSeconds * 1000;
  const start = performance.now();
  await Promise.all(Array.from({ length: o.concurrency }, async () => {
    while (performance.now() < end) {
      const r = await call(server.baseUrl, auth, 'POST', '/fhir/Observation', observation(Math.floor(random() * o.patients), writes));
      if (r.status !== 201) throw new Error(`write: ${r.status}`);
      writes++;
    }
  }));
  return perSecond(writes, performance.now() - start);
}

async function waitActive(server: ServerChild, auth: string, n: number): Promise<number> {
  const start = performance.now();
  const end = Date.now() + 30 * 60_000;
  for (;;) {
    const r = await call(server.baseUrl, auth, 'GET', '/fhir/Subscription?status=active&_summary=count');
    if ((r.json as { total: number }).total >= n) return performance.now() - start;
    if (Date.now() > end) throw new Error('subscriptions did not become active');
    await sleep(500);
  }
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  assertLocal(o.pgUrl);
  if (!(await postgresReachable(o.pgUrl))) throw new Error(`PostgreSQL does not answer at ${o.pgUrl}`);
  const rx = await receiver();
  const rows: string[] = [];
  const results: unknown[] = [];
  const runs: [number, Channel][] = [[0, 'rest-hook'], ...o.subscriptions.flatMap((n) => o.channels.map((c) => [n, c] as [number, Channel]))];
  for (const [n, channel] of runs) {
    // BENCH_DB_PREFIX: a prefix of database names reserved for whoever runs it on a shared server.
    const name = process.env.BENCH_DB_PREFIX ? `${process.env.BENCH_DB_PREFIX}${n}${channel === 'websocket' ? 'ws' : ''}` : benchDatabaseName(`subs${n}${channel === 'websocket' ? 'ws' : ''}`);
    const url = await createDatabase(o.pgUrl, name);
    const server = await startServer({ repoRoot, cpuProfDir: o.cpuProf, ...(process.env.BENCH_SERVER_PORT ? { port: Number(process.env.BENCH_SERVER_PORT) } : {}), env: {
      DATABASE_URL: url, CARNET_SUBSCRIPTION_ALLOWED_HOSTS: '127.0.0.1', CARNET_MLLP_PORT: 'off',
      // Setting up 10,000 subscriptions takes longer than the default token lifetime.
      CARNET_ACCESS_TOKEN_SECONDS: '7200',
    } });
    try {
      const auth = await labToken(server);
      log(`${n} ${channel} subscriptions: setting up`);
      const ids = await setup(server, auth, o, n, rx.url, channel);
      const activation = n > 0 ? await waitActive(server, auth, n) : 0;
      log(`${n} subscriptions: active after ${(activation / 1000).toFixed(1)} s; latency phase at ${o.rate} writes/s for ${o.seconds} s`);
      const ws = n > 0 && channel === 'websocket' ? await sockets(server, auth, ids) : undefined;
      const phase = n > 0 ? await latencyPhase(server, auth, o, n, ws ?? rx) : undefined;
      log(`${n} subscriptions: throughput phase, ${o.concurrency} writers for ${o.throughputSeconds} s`);
      const throughput = await throughputPhase(server, auth, o);
      ws?.close();
      results.push({ n, channel, activation, phase, throughput });
      const f = (x: number) => x.toFixed(0);
      rows.push(phase
        ? `| ${n} | ${channel} | ${phase.writes} (${phase.writesPerSecond.toFixed(0)}/s) | ${phase.notifications}/${phase.expected} | ${f(phase.fromResponse.p50)} / ${f(phase.fromResponse.p95)} / ${f(phase.fromResponse.p99)} | ${f(phase.fromRequest.p50)} / ${f(phase.fromRequest.p95)} | ${phase.notificationsPerSecond.toFixed(0)} | ${throughput.toFixed(0)} |`
        : `| 0 | – | – | – | – | – | – | ${throughput.toFixed(0)} |`);
      log(`row: ${rows.at(-1)}`);
    } finally {
      await server.stop();
      await dropDatabase(o.pgUrl, name);
    }
  }
  rx.server.close();
  console.log(`\n## Subscriptions on PostgreSQL (${o.patients} patients, one subscription per patient per ${o.patients} subscriptions, ${o.rate} matching writes/s for ${o.seconds} s; throughput: ${o.concurrency} writers)\n`);
  console.log('| subscriptions | channel | writes | notifications delivered/expected | commit→delivery ms p50 / p95 / p99 (from the write\'s response) | from the write\'s request p50 / p95 | notifications/s | write throughput /s |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
  console.log(`\n${JSON.stringify(results)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
