import { pino } from 'pino';
import { createCarnet } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { announceReady } from '../support/children.js';

/**
 * A Carnet API process for the multi-process tests (processes.test.ts): it runs the background worker
 * with test job kinds and a test consumer whose effects land in tables the test reads. CHILD_MODE=hang
 * makes `test.crash` jobs start and never finish (the process is then killed with SIGKILL).
 */
// The test runner runs every file under test/: only a process started by processes.test.ts is a child.
if (process.env.CARNET_TEST_CHILD !== '1') process.exit(0);
const mode = process.env.CHILD_MODE ?? 'work';
const leaseMs = Number(process.env.CHILD_LEASE_MS ?? 30_000);
const carnet = await createCarnet(loadConfig(), { log: pino({ level: process.env.LOG_LEVEL ?? 'warn' }) });
const { jobs, events } = carnet.background;
const db = carnet.db;

jobs.define('test.crash', async ({ job, complete, signal }) => {
  await db.query('INSERT INTO child_started (job, pid, attempt) VALUES ($1, $2, $3)', [job.id, process.pid, job.attempts]);
  if (mode === 'hang') {
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    throw new Error('aborted');
  }
  await db.transaction(async (tx) => {
    await tx.query('INSERT INTO child_done (job, pid) VALUES ($1, $2)', [job.id, process.pid]);
    await complete(tx);
  });
}, { leaseMs });

jobs.define('test.overlap', async ({ job, complete }) => {
  await db.query('INSERT INTO child_started (job, pid, attempt) VALUES ($1, $2, $3)', [job.id, process.pid, job.attempts]);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await db.transaction(async (tx) => {
    await tx.query('INSERT INTO child_done (job, pid) VALUES ($1, $2)', [job.id, process.pid]);
    await complete(tx);
  });
}, { leaseMs });

await events.register({
  name: 'test.copy', types: ['Organization'],
  async handle(batch, tx) {
    await tx.query('INSERT INTO child_copied (seq, pid) SELECT s, $2 FROM unnest($1::bigint[]) AS s', [batch.map((e) => e.seq), process.pid]);
  },
});

announceReady(carnet);
