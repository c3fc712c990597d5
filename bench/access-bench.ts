#!/usr/bin/env node
/**
 * `npm run bench:access`: what access control costs per request, in process (fastify inject, so the
 * network is not in the figures), on PostgreSQL when it answers (else PGlite): the same reads and searches
 * by a platform client (no consent filtering), by a system client of an organisation (the policy engine
 * with the patient's consent rules and sensitive categories), and by a patient (their person's two
 * source records, resolved per request), against persons of two linked source records of whom a fifth
 * have consents; /healthz is the floor. Every FHIR request is audited (group commit).
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createCarnet, type Carnet } from '../src/app/app.js';
import { loadConfig } from '../src/config/config.js';
import { openPGlite } from '../src/storage/pglite-database.js';
import { openPostgres } from '../src/storage/postgres-database.js';
import { benchDatabaseName, createDatabase, dropDatabase, postgresReachable } from './postgres.js';
import { seededRandom, summarize } from './stats.js';

const { values } = parseArgs({ options: {
  patients: { type: 'string', default: '200' }, requests: { type: 'string', default: '1000' }, 'pg-url': { type: 'string' }, db: { type: 'string' },
} });
const PATIENTS = Number(values.patients);
const REQUESTS = Number(values.requests);
const PG = values['pg-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function token(carnet: Carnet, form: Record<string, string>, basic?: string): Promise<string> {
  const r = await carnet.server.inject({ method: 'POST', url: '/auth/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(basic ? { authorization: `Basic ${Buffer.from(basic).toString('base64')}` } : {}) }, payload: new URLSearchParams(form).toString() });
  if (r.statusCode !== 200) throw new Error(r.body);
  return r.json().access_token;
}

async function main(): Promise<void> {
  const usePg = values.db !== 'pglite' && (await postgresReachable(PG));
  const name = benchDatabaseName(new Date().toISOString().replace(/\D/g, '').slice(0, 14));
  const dbUrl = usePg ? await createDatabase(PG, name) : undefined;
  const db = dbUrl ? await openPostgres(dbUrl, 10) : await openPGlite('memory://');
  const config = loadConfig({ CARNET_BASE_URL: 'http://bench.local', CARNET_BOOTSTRAP_CLIENT_ID: 'bench', CARNET_BOOTSTRAP_CLIENT_SECRET: 'bench-secret-0123456789abcdef0123456789', CARNET_ACCESS_TOKEN_SECONDS: '3600', LOG_LEVEL: 'warn', ...(process.env.CARNET_AUDIT_READS ? { CARNET_AUDIT_READS: process.env.CARNET_AUDIT_READS } : {}), ...(process.env.CARNET_PERSON_SCOPE_TTL_MS ? { CARNET_PERSON_SCOPE_TTL_MS: process.env.CARNET_PERSON_SCOPE_TTL_MS } : {}) });
  const carnet = await createCarnet(config, { db, log: pino({ level: 'warn' }) });
  try {
    const platform = await token(carnet, { grant_type: 'client_credentials', scope: 'system/*.cruds' }, 'bench:bench-secret-0123456789abcdef0123456789');
    const call = async (method: string, url: string, auth: string, body?: unknown) => {
      const r = await carnet.server.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${auth}`, ...(body ? { 'content-type': url.startsWith('/auth') ? 'application/json' : 'application/fhir+json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
      if (r.statusCode >= 400 && r.statusCode !== 404) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body.slice(0, 200)}`);
      return r;
    };
    for (const id of ['org-a', 'org-b']) await call('PUT', `/fhir/Organization/${id}`, platform, { resourceType: 'Organization', id, name: id });
    await call('PUT', '/fhir/Practitioner/dr', platform, { resourceType: 'Practitioner', id: 'dr' });
    await call('PUT', '/fhir/PractitionerRole/dr-role', platform, { resourceType: 'PractitionerRole', id: 'dr-role', practitioner: { reference: 'Practitioner/dr' }, organization: { reference: 'Organization/org-b' } });
    await call('POST', '/auth/admin/clients', platform, { id: 'emr-a', name: 'EMR A', kind: 'confidential', secret: 'emr-a-secret-0123456789', scope: 'system/*.cruds', organization: 'Organization/org-a' });
    await call('POST', '/auth/admin/clients', platform, { id: 'emr-b', name: 'EMR B', kind: 'confidential', secret: 'emr-b-secret-0123456789', scope: 'system/*.rs', organization: 'Organization/org-b' });
    const writerA = await token(carnet, { grant_type: 'client_credentials', scope: 'system/*.cruds' }, 'emr-a:emr-a-secret-0123456789');
    const orgB = await token(carnet, { grant_type: 'client_credentials', scope: 'system/*.rs' }, 'emr-b:emr-b-secret-0123456789');
    process.stderr.write(`loading ${PATIENTS} patients × 20 observations on ${db.description} …\n`);
    const random = seededRandom(7);
    const observations: string[] = [];
    const persons: [string, string][] = [];
    for (let p = 0; p < PATIENTS; p++) {
      // Each person has two source records (the clinic's and the pharmacy's), linked by the MPI below.
      const entry = [
        { fullUrl: `urn:uuid:p${p}`, resource: { resourceType: 'Patient', name: [{ family: `Bench${p}` }] }, request: { method: 'POST', url: 'Patient' } },
        { fullUrl: `urn:uuid:q${p}`, resource: { resourceType: 'Patient', name: [{ family: `Bench${p}` }], identifier: [{ system: 'urn:bench:pharmacy', value: `Q${p}` }] } as never, request: { method: 'POST', url: 'Patient' } },
        { fullUrl: `urn:uuid:qo${p}`, resource: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] }, subject: { reference: `urn:uuid:q${p}` } } as never, request: { method: 'POST', url: 'Observation' } },
      ];
      for (let o = 0; o < 20; o++) {
        const code = o === 0 ? '44261-6' : '2345-7';
        entry.push({ fullUrl: `urn:uuid:o${p}-${o}`, resource: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code }] }, subject: { reference: `urn:uuid:p${p}` } } as never, request: { method: 'POST', url: 'Observation' } });
      }
      const r = await call('POST', '/fhir', writerA, { resourceType: 'Bundle', type: 'transaction', entry });
      const locations = (r.json().entry as { response: { location: string } }[]).map((e) => e.response.location.replace('http://bench.local/fhir/', '').replace(/\/_history\/\d+$/, ''));
      observations.push(...locations.slice(2));
      persons.push([locations[0] as string, locations[1] as string]);
      if (random() < 0.2) {
        const patient = locations[0] as string;
        await call('POST', '/fhir/Consent', platform, {
          resourceType: 'Consent', status: 'active', patient: { reference: patient }, category: [{ text: 'privacy' }],
          scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
          policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
          provision: { type: 'permit', provision: [{ type: 'deny', actor: [{ role: { text: 'x' }, reference: { reference: 'Organization/org-b' } }] }] },
        });
      }
    }
    // Link each pharmacy record to its clinic record's Person (the MPI may have done it already).
    const personOf = async (ref: string) => ((await call('GET', `/fhir/${ref}/$mpi-links`, platform)).json().parameter as { name: string; valueReference?: { reference: string } }[])
      .find((x) => x.name === 'person')?.valueReference?.reference;
    for (const [clinic, pharmacy] of persons) {
      const person = await personOf(clinic);
      if (person && person !== await personOf(pharmacy)) {
        await call('POST', `/fhir/${pharmacy}/$mpi-link`, platform, { resourceType: 'Parameters', parameter: [{ name: 'person', valueReference: { reference: person } }, { name: 'actor', valueString: 'bench' }] });
      }
    }
    // A patient's token, issued directly (the login flow is not what is measured): the person of persons[0].
    const [own, ownPharmacy] = persons[0] as [string, string];
    const patientToken = (await carnet.auth.tokens.issueAccessToken({ sub: 'bench-patient', client_id: 'bench', scope: 'user/*.rs', kind: 'user', role: 'patient', name: 'Bench patient', patients: [own.replace('Patient/', '')] })).token;
    const ownObservations = ((await call('GET', `/fhir/Observation?subject=${own}&_count=50&_elements=id`, platform)).json().entry as { resource: { id: string } }[]).map((e) => `Observation/${e.resource.id}`);
    const pick = seededRandom(11);
    const obs = () => observations[Math.floor(pick() * observations.length)] as string;
    const patientOf = async (ref: string) => (await call('GET', `/fhir/${ref}`, platform)).json().subject.reference as string;
    const subjects = await Promise.all(Array.from({ length: 50 }, () => patientOf(obs())));
    const cases: [string, string, () => string, boolean?][] = [
      ['healthz (floor)', platform, () => '/healthz'],
      // The audit switched off for this row only, to measure what the durable audit record costs.
      ['read, platform client, audit off (measurement only)', platform, () => `/fhir/${obs()}`, true],
      ['read, platform client', platform, () => `/fhir/${obs()}`],
      ['read, organisation client (consents)', orgB, () => `/fhir/${obs()}`],
      ['search 20 obs, platform client', platform, () => `/fhir/Observation?subject=${subjects[Math.floor(pick() * subjects.length)]}`],
      ['search 20 obs, organisation client (consents)', orgB, () => `/fhir/Observation?subject=${subjects[Math.floor(pick() * subjects.length)]}`],
      ['read, patient (own record)', patientToken, () => `/fhir/${ownObservations[Math.floor(pick() * ownObservations.length)] as string}`],
      ['search, patient: Observation?patient=<pharmacy record>', patientToken, () => `/fhir/Observation?patient=${ownPharmacy}`],
    ];
    console.log(`\nAccess-control cost on ${db.description}, ${PATIENTS} patients, ${observations.length} observations, ${REQUESTS} requests per row (in process)\n`);
    console.log('| request | concurrency | req/s | p50 ms | p95 ms | p99 ms |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const concurrency of [1, 4, 16]) {
      for (const [label, auth, url, auditOff] of cases) {
        const ctx = carnet.ctx as { audit?: unknown };
        const audit = ctx.audit;
        if (auditOff) ctx.audit = undefined;
        for (let i = 0; i < 50; i++) await call('GET', url(), auth);
        const samples: number[] = [];
        let next = 0;
        const started = performance.now();
        await Promise.all(Array.from({ length: concurrency }, async () => {
          while (next++ < REQUESTS) {
            const t0 = performance.now();
            await call('GET', url(), auth);
            samples.push(performance.now() - t0);
          }
        }));
        const s = summarize(samples);
        const rate = REQUESTS / ((performance.now() - started) / 1000);
        ctx.audit = audit;
        console.log(`| ${label} | ${concurrency} | ${Math.round(rate)} | ${s.p50.toFixed(2)} | ${s.p95.toFixed(2)} | ${s.p99.toFixed(2)} |`);
      }
    }
  } finally {
    await carnet.close();
    if (dbUrl) await dropDatabase(PG, name);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
