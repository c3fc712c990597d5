import { performance } from 'node:perf_hooks';
import { openPGlite } from '../src/storage/pglite-database.js';
import { openPostgres } from '../src/storage/postgres-database.js';
import { migrate } from '../src/storage/migrate.js';
import { MIGRATIONS } from '../src/storage/migrations/index.js';
import { searchAuditEvents, type AuditEventCriteria } from '../src/storage/audit-store.js';
import { summarize } from './stats.js';
import { benchDatabaseName, createDatabase, dropDatabase } from './postgres.js';

/**
 * ITI-81 searches of the audit trail by what records contain (`entity=`, `agent=`), before and after
 * migration 26's GIN index: `npm run bench:audit -- [--records 100000] [--patients 2000] [--runs 20] [--pg postgres://…]`.
 * PGlite in memory unless --pg names a server (a database is created and dropped). Prints p50/p95 per query.
 */
const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? (process.argv[i + 1] as string) : fallback; };
const RECORDS = Number(arg('records', '100000'));
const PATIENTS = Number(arg('patients', '2000'));
const RUNS = Number(arg('runs', '20'));
const PG = arg('pg', '');

async function main(): Promise<void> {
  const name = benchDatabaseName('audit');
  const url = PG ? await createDatabase(PG, name) : undefined;
  const db = url ? await openPostgres(url, 4) : await openPGlite('memory://');
  try {
    await migrate(db, MIGRATIONS.filter((m) => m.version < 26));
    const t0 = performance.now();
    for (let from = 0; from < RECORDS; from += 10_000) {
      await db.query(`INSERT INTO audit_event (uid, recorded, action, agent, patients, outcome, break_glass, content)
        SELECT 'e' || i, now() - (i || ' seconds')::interval, 'R', 'user:pr' || (i % 300), ARRAY['p' || (i % $2)], '0', false,
          jsonb_build_object('resourceType', 'AuditEvent', 'id', 'e' || i, 'action', 'R', 'outcome', '0', 'recorded', now(),
            'type', jsonb_build_object('system', 'http://dicom.nema.org/resources/ontology/DCM', 'code', '110110'),
            'agent', jsonb_build_array(jsonb_build_object('requestor', true, 'who', jsonb_build_object('reference', 'Practitioner/pr' || (i % 300), 'display', 'Dr ' || (i % 300)))),
            'entity', jsonb_build_array(jsonb_build_object('what', jsonb_build_object('reference', 'Patient/p' || (i % $2))), jsonb_build_object('what', jsonb_build_object('reference', 'Observation/o' || i))))::text
        FROM generate_series($1::int, $1::int + 9999) i`, [from, PATIENTS]);
    }
    console.log(`${RECORDS} records over ${PATIENTS} patients written in ${Math.round(performance.now() - t0)} ms (${url ? 'PostgreSQL' : 'PGlite'})`);
    const base: AuditEventCriteria = { patients: [], outcomes: [], agentNames: [], addresses: [], contains: [], limit: 50 };
    const queries: Record<string, (i: number) => AuditEventCriteria> = {
      'entity=Observation/… (one record)': (i) => ({ ...base, contains: [[JSON.stringify({ entity: [{ what: { reference: `Observation/o${(i * 7919) % RECORDS}` } }] })]] }),
      'agent=Practitioner/… (1/300 of the trail)': (i) => ({ ...base, contains: [[JSON.stringify({ agent: [{ who: { reference: `Practitioner/pr${(i * 31) % 300}` } }] })]] }),
    };
    const measure = async (label: string) => {
      for (const [q, make] of Object.entries(queries)) {
        const samples: number[] = [];
        for (let i = 0; i < RUNS; i += 1) {
          const s = performance.now();
          await searchAuditEvents(db, make(i));
          samples.push(performance.now() - s);
        }
        const r = summarize(samples);
        console.log(`${label} ${q}: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, max ${r.max.toFixed(1)} ms (${RUNS} runs)`);
      }
    };
    await measure('before 026');
    const t1 = performance.now();
    await migrate(db);
    await db.query('ANALYZE audit_event');
    console.log(`migration 26 (the GIN index) in ${Math.round(performance.now() - t1)} ms`);
    await measure('after 026');
  } finally {
    await db.close();
    if (url && PG) await dropDatabase(PG, name);
  }
}

await main();
