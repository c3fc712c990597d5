import type { Patient } from '@medplum/fhirtypes';
import { pino } from 'pino';
import { createCarnet } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { NAM_SYSTEM } from '../../src/mpi/record.js';
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

export async function measureWrites(db: Database, mpi: boolean, records: readonly SyntheticRecord[], warmup: number): Promise<LatencySummary> {
  const config = loadConfig({ PORT: '0', CARNET_BASE_URL: 'http://bench.local', LOG_LEVEL: 'silent', CARNET_DEMO: 'off', CARNET_MPI: mpi ? 'on' : 'off' });
  const carnet = await createCarnet(config, { db, log: pino({ level: 'silent' }) });
  const samples: number[] = [];
  try {
    for (const [i, r] of records.entries()) {
      const started = performance.now();
      const response = await carnet.server.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' }, payload: JSON.stringify(toPatient(r)) });
      const ms = performance.now() - started;
      if (response.statusCode !== 201) throw new Error(`POST Patient answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
      if (i >= warmup) samples.push(ms);
    }
  } finally {
    await carnet.server.close();
  }
  return summarize(samples);
}
