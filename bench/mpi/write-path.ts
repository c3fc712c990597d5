import type { Patient } from '@medplum/fhirtypes';
import { pino } from 'pino';
import { createCarnet } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { NAM_SYSTEM } from '../../src/mpi/record.js';
import { relink } from '../../src/mpi/service/relink.js';
import type { Database } from '../../src/storage/database.js';
import { summarize, type LatencySummary } from '../stats.js';
import type { SyntheticRecord } from './synthetic.js';

/**
 * What the MPI costs a source system: `POST Patient` latency through the real server (in-process
 * requests), with the matcher hook on and off, on the same kind of database.
 */
export function toPatient(r: SyntheticRecord): Patient {
  return {
    resourceType: 'Patient',
    identifier: [{ system: r.source ?? 'urn:bench', value: r.id }, ...(r.nam ? [{ system: NAM_SYSTEM, value: r.nam }] : [])],
    name: r.family.map((f, i) => ({ use: i === 0 ? 'official' as const : 'maiden' as const, family: f.join(' '), given: r.given.length ? [r.given.join(' ')] : undefined })),
    ...(r.birthDate ? { birthDate: r.birthDate } : {}),
    ...(r.sex ? { gender: r.sex as Patient['gender'] } : {}),
    ...(r.postalCode ? { address: [{ postalCode: r.postalCode }] } : {}),
    ...(r.phone ? { telecom: [{ system: 'phone' as const, value: r.phone }] } : {}),
  };
}

const BENCH_CLIENT = { id: 'mpi-bench', secret: 'mpi-bench-client-secret-0123456789abcdef' };

/** A system token from the bench's bootstrap client: writes go through authentication, as a source system's do. */
async function systemToken(carnet: Awaited<ReturnType<typeof createCarnet>>): Promise<string> {
  const response = await carnet.server.inject({
    method: 'POST', url: '/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${BENCH_CLIENT.id}:${BENCH_CLIENT.secret}`).toString('base64')}` },
    payload: 'grant_type=client_credentials&scope=system/Patient.c',
  });
  if (response.statusCode !== 200) throw new Error(`the bench could not get a token: ${response.statusCode} ${response.body.slice(0, 300)}`);
  return (JSON.parse(response.body) as { access_token: string }).access_token;
}

export interface RelinkCost {
  readonly records: number;
  readonly seconds: number;
  readonly changed: number;
}

/**
 * Measures on `db` and closes it (each run gets a database of its own). With the matcher on, also times
 * `carnet mpi relink --apply` over the index the writes built (nothing should change: same model).
 */
export async function measureWrites(db: Database, mpi: boolean, records: readonly SyntheticRecord[], warmup: number): Promise<LatencySummary & { relink?: RelinkCost }> {
  const config = loadConfig({
    PORT: '0', CARNET_BASE_URL: 'http://bench.local', LOG_LEVEL: 'silent', CARNET_DEMO: 'off', CARNET_MPI: mpi ? 'on' : 'off',
    CARNET_BACKGROUND: 'off', CARNET_SECRET: 'mpi-bench-secret-not-for-production-0123456789',
    CARNET_BOOTSTRAP_CLIENT_ID: BENCH_CLIENT.id, CARNET_BOOTSTRAP_CLIENT_SECRET: BENCH_CLIENT.secret,
  });
  const carnet = await createCarnet(config, { db, log: pino({ level: 'silent' }) });
  const samples: number[] = [];
  try {
    const headers = { 'content-type': 'application/fhir+json', prefer: 'return=minimal', authorization: `Bearer ${await systemToken(carnet)}` };
    for (const [i, r] of records.entries()) {
      const started = performance.now();
      const response = await carnet.server.inject({ method: 'POST', url: '/fhir/Patient', headers, payload: JSON.stringify(toPatient(r)) });
      const ms = performance.now() - started;
      if (response.statusCode !== 201) throw new Error(`POST Patient answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
      if (i >= warmup) samples.push(ms);
    }
    if (mpi && carnet.ctx.mpi) {
      const started = performance.now();
      const report = await relink(carnet.ctx, carnet.ctx.mpi, { apply: true });
      const relinkCost = { records: report.records, seconds: (performance.now() - started) / 1000, changed: report.featuresChanged + report.split + report.joined };
      return { ...summarize(samples), relink: relinkCost };
    }
  } finally {
    // Closes the database too: a pool left open would block the benchmark database's DROP.
    await carnet.close();
  }
  return summarize(samples);
}
