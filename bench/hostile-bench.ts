#!/usr/bin/env node
/**
 * `npm run bench:hostile` (issue #13): do large bodies stall everyone else? A real Carnet server (child
 * process, embedded PGlite in memory, or `--pg-url` PostgreSQL) answers a steady stream of small reads
 * (one every `--interval` ms, open loop: each read is sent on time whether or not the previous one is
 * answered) alone, then while large bodies are sent one after another: a Patient of `--names` names (the
 * issue's 3.4 MB case is 100,000; `--extensions`: as many extensions, validated but not indexed) and a
 * transaction of `--entries` Patients. Prints the small reads' latency
 * percentiles in each phase, and the large requests' durations, with the load average; `--inline` runs the
 * same with validation on the event loop (CARNET_VALIDATION_WORKERS=0), as before.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { startServer, type ServerChild } from './server.js';
import { summarize, type LatencySummary } from './stats.js';

interface Options {
  readonly seconds: number;
  readonly interval: number;
  readonly names: number;
  readonly entries: number;
  readonly inline: boolean;
  readonly element: 'name' | 'extension';
  readonly port: number;
  readonly pgUrl: string | undefined;
}

function parse(argv: readonly string[]): Options {
  const get = (name: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const pg = argv.indexOf('--pg-url');
  return {
    seconds: get('seconds', 20), interval: get('interval', 20), names: get('names', 100_000), entries: get('entries', 2_000),
    inline: argv.includes('--inline'), element: argv.includes('--extensions') ? 'extension' : 'name', port: get('port', 18_400), pgUrl: pg >= 0 ? argv[pg + 1] : undefined,
  };
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function post(server: ServerChild, path: string, body: string, extra: Record<string, string> = {}): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${server.baseUrl}/fhir${path}`, {
    method: 'POST', body, headers: { ...(await server.authorization()), 'content-type': 'application/fhir+json', prefer: 'return=minimal', ...extra },
  });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

/** Small reads every `interval` ms until `until()` says stop; their latencies. */
async function smallReads(server: ServerChild, id: string, interval: number, until: () => boolean, errors: { count: number }): Promise<number[]> {
  const headers = await server.authorization();
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  while (!until()) {
    const sent = performance.now();
    // A read that fails (a connection not accepted within undici's 10 s: the loop was stalled) counts as
    // an error, its latency as the time it waited.
    inFlight.push(fetch(`${server.baseUrl}/fhir/Patient/${id}`, { headers }).then(async (r) => {
      await r.arrayBuffer();
      if (r.status !== 200) errors.count++;
      latencies.push(performance.now() - sent);
    }, () => {
      errors.count++;
      latencies.push(performance.now() - sent);
    }));
    await sleep(interval);
  }
  await Promise.all(inFlight);
  return latencies;
}

/** A large Patient: `names` names (searchable: indexed too), or as many extensions (validated, not indexed). */
const largePatient = (names: number, element: 'name' | 'extension'): string => JSON.stringify({
  resourceType: 'Patient',
  [element]: Array.from({ length: names }, (_, i) =>
    element === 'name' ? { family: `Nom${i}`, given: ['Jean', 'Marie'] } : { url: `http://example.org/fhir/x${i}`, valueString: `valeur ${i}` }),
});

const transaction = (entries: number, run: number): string => JSON.stringify({
  resourceType: 'Bundle', type: 'transaction',
  entry: Array.from({ length: entries }, (_, i) => ({
    fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(run * 100_000 + i).padStart(12, '0')}`,
    request: { method: 'POST', url: 'Patient' },
    resource: { resourceType: 'Patient', identifier: [{ system: 'http://example.org/bench-mrn', value: `${run}-${i}` }], name: [{ family: `Tremblay${i}`, given: ['Léa'] }], gender: 'female', birthDate: '1980-02-29' },
  })),
});

function row(label: string, s: LatencySummary): string {
  const f = (n: number) => n.toFixed(1);
  return `| ${label} | ${s.count} | ${f(s.p50)} | ${f(s.p95)} | ${f(s.p99)} | ${f(s.max)} |`;
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const env: Record<string, string> = {
    ...(options.pgUrl ? { DATABASE_URL: options.pgUrl } : { CARNET_DATA_DIR: 'memory://' }),
    CARNET_MPI: 'off',
    CARNET_MLLP_PORT: 'off',
    ...(options.inline ? { CARNET_VALIDATION_WORKERS: '0' } : {}),
  };
  const server = await startServer({ repoRoot, env, port: options.port });
  try {
    const created = await fetch(`${server.baseUrl}/fhir/Patient`, {
      method: 'POST', body: JSON.stringify({ resourceType: 'Patient', active: true }), headers: { ...(await server.authorization()), 'content-type': 'application/fhir+json' },
    });
    const id = ((await created.json()) as { id: string }).id;
    const patientBody = largePatient(options.names, options.element);
    console.log(`validation ${options.inline ? 'inline (CARNET_VALIDATION_WORKERS=0)' : 'off the event loop'}; ${options.pgUrl ? 'PostgreSQL' : 'PGlite'}; load average ${load()}`);

    const quietEnd = performance.now() + options.seconds * 1000;
    const quietErrors = { count: 0 };
    const quiet = await smallReads(server, id, options.interval, () => performance.now() > quietEnd, quietErrors);

    const large: { kind: string; status: number; ms: number }[] = [];
    let stop = false;
    const sender = (async () => {
      for (let run = 1; !stop; run++) {
        large.push({ kind: `Patient, ${options.names.toLocaleString('en-US')} ${options.element}s (${(patientBody.length / 1e6).toFixed(1)} MB)`, ...(await post(server, '/Patient', patientBody)) });
        if (stop) break;
        const bundle = transaction(options.entries, run);
        large.push({ kind: `transaction, ${options.entries.toLocaleString('en-US')} entries (${(bundle.length / 1e6).toFixed(1)} MB)`, ...(await post(server, '', bundle)) });
      }
    })();
    // The stream runs until at least one of each large request has been answered, and `seconds` passed.
    const busyEnd = performance.now() + options.seconds * 1000;
    const busyErrors = { count: 0 };
    const busy = await smallReads(server, id, options.interval, () => performance.now() > busyEnd && large.length >= 2, busyErrors);
    stop = true;
    await sender;

    console.log(`\nSmall reads (GET Patient/id every ${options.interval} ms), load average ${load()}:\n`);
    console.log('| phase | reads | p50 ms | p95 ms | p99 ms | max ms | failed |\n|---|---:|---:|---:|---:|---:|---:|');
    console.log(`${row('alone', summarize(quiet))} ${quietErrors.count} |`);
    console.log(`${row('with large bodies being sent', summarize(busy))} ${busyErrors.count} |`);
    console.log('\nLarge requests:\n\n| request | status | ms |\n|---|---:|---:|');
    for (const l of large) console.log(`| ${l.kind} | ${l.status} | ${Math.round(l.ms)} |`);
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
