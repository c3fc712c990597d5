#!/usr/bin/env node
/**
 * `npm run bench:scheduling` (issue #18): Appointment/$find latency over 1,000 practitioners with three
 * months of recurring availability and existing bookings; $book throughput under contention (many
 * bookers on few openings) and without (one opening each); and the double-booking count, checked in SQL
 * afterwards (must be 0). In process (fastify inject), on PostgreSQL when it answers, else PGlite.
 */
import { parseArgs } from 'node:util';
import type { Extension, Resource } from '@medplum/fhirtypes';
import { pino } from 'pino';
import { createCarnet } from '../src/app/app.js';
import { loadConfig } from '../src/config/config.js';
import { executeWrites } from '../src/fhir/write/engine.js';
import { withRetries } from '../src/storage/database.js';
import { openPGlite } from '../src/storage/pglite-database.js';
import { openPostgres } from '../src/storage/postgres-database.js';
import { AVAILABILITY_URL, PUBLIC_BOOKING_URL } from '../src/scheduling/schedule-facts.js';
import { createDatabase, dropDatabase, postgresReachable } from './postgres.js';
import { summarize } from './stats.js';

const { values } = parseArgs({ options: {
  practitioners: { type: 'string', default: '1000' }, 'per-clinic': { type: 'string', default: '5' }, booked: { type: 'string', default: '10' },
  requests: { type: 'string', default: '300' }, 'pg-url': { type: 'string' }, db: { type: 'string' },
  // Keep the PostgreSQL database afterwards (to EXPLAIN $find's statements on the bench's data).
  keep: { type: 'boolean', default: false },
} });
const PG = values['pg-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = 'bench-secret-0123456789abcdef0123456789';
const SPECIALTIES = ['family', 'pediatrics', 'gynecology', 'psychiatry', 'dermatology', 'cardiology', 'nursing', 'geriatrics', 'sports', 'travel'];
const DAY = 86_400_000;

/** Mon–Fri 8:00–12:00 and 13:00–16:00, 20-minute visits, 5-minute buffer: 19 openings a day. */
function availability(): Extension {
  const window = (start: string, end: string) => ({ url: 'availableTime', extension: [
    ...['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => ({ url: 'daysOfWeek', valueCode: d })),
    { url: 'availableStartTime', valueTime: start }, { url: 'availableEndTime', valueTime: end },
  ] });
  return { url: AVAILABILITY_URL, extension: [window('08:00:00', '12:00:00'), window('13:00:00', '16:00:00'), { url: 'visitMinutes', valuePositiveInt: 20 }, { url: 'bufferMinutes', valueUnsignedInt: 5 }] };
}

async function main(): Promise<void> {
  const usePg = values.db !== 'pglite' && (await postgresReachable(PG));
  // Named after the scheduling work's reserved databases (carnet_scheduling*) on the shared server.
  const name = `carnet_scheduling_bench_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${process.pid}`;
  const dbUrl = usePg ? await createDatabase(PG, name) : undefined;
  const db = dbUrl ? await openPostgres(dbUrl, 10) : await openPGlite('memory://');
  const config = loadConfig({ CARNET_BASE_URL: 'http://bench.local', CARNET_BOOTSTRAP_CLIENT_ID: 'bench', CARNET_BOOTSTRAP_CLIENT_SECRET: SECRET, CARNET_ACCESS_TOKEN_SECONDS: '3600', CARNET_BACKGROUND: 'off', CARNET_MPI: 'off', LOG_LEVEL: 'warn' });
  const carnet = await createCarnet(config, { db, log: pino({ level: 'warn' }) });
  const n = Number(values.practitioners);
  const perClinic = Number(values['per-clinic']);
  const now = Date.now();
  try {
    process.stderr.write(`directory: ${n} practitioners, ${Math.ceil(n / perClinic)} clinics, 3 months of availability on ${db.description} …\n`);
    const horizon = { start: new Date(now).toISOString(), end: new Date(now + 92 * DAY).toISOString() };
    const resources: Resource[] = [];
    for (let c = 0; c < Math.ceil(n / perClinic); c++) resources.push({ resourceType: 'Organization', id: `clinic-${c}`, name: `GMF ${c}` });
    resources.push({ resourceType: 'Patient', id: 'bench-patient', name: [{ family: 'Banc' }] });
    for (let i = 0; i < n; i++) {
      const specialty = SPECIALTIES[i % SPECIALTIES.length] as string;
      resources.push(
        { resourceType: 'Practitioner', id: `pr-${i}`, name: [{ family: `Médecin ${i}` }] },
        { resourceType: 'PractitionerRole', id: `role-${i}`, practitioner: { reference: `Practitioner/pr-${i}` }, organization: { reference: `Organization/clinic-${Math.floor(i / perClinic)}` } },
        { resourceType: 'Schedule', id: `sch-${i}`, active: true, actor: [{ reference: `PractitionerRole/role-${i}` }], planningHorizon: horizon,
          specialty: [{ coding: [{ system: 'urn:bench:specialty', code: specialty }] }], extension: [{ url: PUBLIC_BOOKING_URL, valueBoolean: true }, availability()] } as Resource,
      );
    }
    for (let i = 0; i < resources.length; i += 500) {
      const chunk = resources.slice(i, i + 500);
      await withRetries(carnet.db, (tx) => executeWrites(tx, carnet.ctx, chunk.map((r) => ({ kind: 'update' as const, resourceType: r.resourceType, id: r.id as string, resource: r })), { transaction: true }));
    }
    const t = await carnet.server.inject({ method: 'POST', url: '/auth/token', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`bench:${SECRET}`).toString('base64')}` }, payload: 'grant_type=client_credentials&scope=system/*.cruds' });
    const token = t.json().access_token as string;
    const call = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
      const r = await carnet.server.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/fhir+json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
      return { status: r.statusCode, body: r.json() as { entry?: { resource: { slot: { reference: string }[] } }[]; issue?: unknown[] } };
    };
    const slotsOf = (r: Awaited<ReturnType<typeof call>>) => (r.body.entry ?? []).map((e) => e.resource.slot[0]?.reference as string);
    const book = (slot: string) => call('POST', '/fhir/Appointment/$book', { resourceType: 'Parameters', parameter: [{ name: 'slot', valueReference: { reference: slot } }, { name: 'patient', valueReference: { reference: 'Patient/bench-patient' } }] });

    // Existing bookings: `booked` per practitioner, spread over the three months (through $book: claims and all).
    const booked = Number(values.booked);
    process.stderr.write(`booking ${booked} appointments per practitioner …\n`);
    const loadStart = performance.now();
    for (let i = 0; i < n; i++) {
      const list = slotsOf(await call('GET', `/fhir/Appointment/$find?practitioner=Practitioner/pr-${i}&start=${new Date(now + ((i * 7) % 60) * DAY).toISOString()}&_count=${booked * 3}`));
      await Promise.all(list.filter((_, k) => k % 3 === 0).slice(0, booked).map((slot) => book(slot)));
    }
    const loadSeconds = (performance.now() - loadStart) / 1000;

    const kinds: [string, (k: number) => string][] = [
      ['practitioner', (k) => `practitioner=Practitioner/pr-${(k * 37) % n}`],
      ['clinic', (k) => `organization=Organization/clinic-${(k * 13) % Math.ceil(n / perClinic)}`],
      ['specialty', (k) => `specialty=urn:bench:specialty|${SPECIALTIES[k % SPECIALTIES.length]}`],
      ['practitioner, in 6 weeks', (k) => `practitioner=Practitioner/pr-${(k * 53) % n}&start=${new Date(now + 42 * DAY).toISOString()}`],
    ];
    const lines: string[] = [];
    // The same server's plain read, for scale (token check, routing, audit record, one row).
    const reads: number[] = [];
    for (let k = 0; k < Number(values.requests); k++) {
      const start = performance.now();
      await call('GET', `/fhir/Schedule/sch-${k % n}`);
      reads.push(performance.now() - start);
    }
    const r = summarize(reads);
    lines.push(`  GET Schedule/[id] (for scale)       p50 ${r.p50.toFixed(1)} ms  p95 ${r.p95.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms`);
    for (const [kind, query] of kinds) {
      const range = `&end=${new Date(now + 91 * DAY).toISOString()}&_count=10`;
      for (let k = 0; k < 10; k++) await call('GET', `/fhir/Appointment/$find?${query(k)}${range}`.replace(/\+/g, '%2B'));
      const samples: number[] = [];
      let empty = 0;
      for (let k = 0; k < Number(values.requests); k++) {
        const start = performance.now();
        const r = await call('GET', `/fhir/Appointment/$find?${query(k)}${range}`.replace(/\+/g, '%2B'));
        samples.push(performance.now() - start);
        if (r.status !== 200) throw new Error(`$find ${kind}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        if ((r.body.entry ?? []).length === 0) empty++;
      }
      const s = summarize(samples);
      lines.push(`  $find by ${kind.padEnd(26)} p50 ${s.p50.toFixed(1)} ms  p95 ${s.p95.toFixed(1)} ms  p99 ${s.p99.toFixed(1)} ms  (${s.count} requests, ${empty} empty)`);
    }

    // Contention: 20 hot openings, 10 bookers each, all at once.
    const hot = slotsOf(await call('GET', `/fhir/Appointment/$find?practitioner=Practitioner/pr-1&start=${new Date(now + 70 * DAY).toISOString()}&_count=20`.replace(/\+/g, '%2B')));
    const contended = hot.flatMap((slot) => Array.from({ length: 10 }, () => slot));
    let start = performance.now();
    const results = await Promise.all(contended.map((slot) => book(slot)));
    const contendedSeconds = (performance.now() - start) / 1000;
    const won = results.filter((r) => r.status === 201).length;
    const refused = results.filter((r) => r.status === 409).length;
    const other = results.length - won - refused;
    // No contention: 200 distinct openings of 200 practitioners, at once.
    const distinct: string[] = [];
    for (let i = 0; i < Math.min(200, n); i++) {
      distinct.push(...slotsOf(await call('GET', `/fhir/Appointment/$find?practitioner=Practitioner/pr-${(i * 7 + 3) % n}&start=${new Date(now + 80 * DAY).toISOString()}&_count=1`.replace(/\+/g, '%2B'))));
    }
    start = performance.now();
    const free = await Promise.all(distinct.map((slot) => book(slot)));
    const freeSeconds = (performance.now() - start) / 1000;

    const doubles = await carnet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM schedule_claim a JOIN schedule_claim b
      ON a.actor = b.actor AND a.appointment_id < b.appointment_id AND a.during && b.during
      WHERE NOT a.overbooked AND NOT b.overbooked AND (a.hold_expires IS NULL OR a.hold_expires > now()) AND (b.hold_expires IS NULL OR b.hold_expires > now())`);
    const slotDoubles = await carnet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT slot_id FROM schedule_claim WHERE slot_id IS NOT NULL GROUP BY slot_id HAVING count(DISTINCT appointment_id) > 1) s`);
    const totals = await carnet.db.query<{ n: number }>("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Appointment' AND NOT deleted");

    console.log(`scheduling on ${usePg ? 'PostgreSQL' : 'PGlite'}: ${n} practitioners × 3 months of availability (19 openings a weekday each), ${Number((totals.rows[0] as { n: number }).n)} appointments`);
    console.log(`  existing bookings: ${n * booked} through $find + $book in ${loadSeconds.toFixed(0)} s`);
    for (const line of lines) console.log(line);
    console.log('  (target: $find p95 ≤ 20 ms)');
    console.log(`  $book under contention: ${contended.length} bookings of ${hot.length} openings at once in ${contendedSeconds.toFixed(2)} s — ${(contended.length / contendedSeconds).toFixed(0)} answers/s, ${won} booked, ${refused} × 409, ${other} other`);
    console.log(`  $book without contention: ${distinct.length} openings at once in ${freeSeconds.toFixed(2)} s — ${(distinct.length / freeSeconds).toFixed(0)} bookings/s, ${free.filter((r) => r.status === 201).length} booked`);
    console.log(`  double bookings: ${Number((doubles.rows[0] as { n: number }).n)} overlapping claims, ${Number((slotDoubles.rows[0] as { n: number }).n)} slots booked twice (must be 0)`);
  } finally {
    await carnet.close();
    if (dbUrl && !values.keep) await dropDatabase(PG, name);
    else if (dbUrl) process.stderr.write(`kept ${dbUrl}\n`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
