import { pino } from 'pino';
import { Background } from '../app/background.js';
import { loadConfig } from '../config/config.js';
import { JOB_STATES, type Job, type JobState } from '../jobs/job.js';
import { withCommitSignals } from '../storage/commit-signals.js';
import { migrate } from '../storage/migrate.js';
import { openDatabase } from '../storage/open-database.js';

const USAGE = `Usage:
  carnet jobs list [--state pending|running|done|dead|cancelled] [--kind KIND] [--limit N]
  carnet jobs show <id>          one job: payload, attempts, progress, result, last error
  carnet jobs retry <id>         run a dead or cancelled job again
  carnet jobs cancel <id>        cancel a job (a running one is aborted through its signal)
  carnet jobs consumers          event consumers: position, events behind, age of the oldest`;

function line(job: Job): string {
  return [job.id, job.state.padEnd(9), job.kind.padEnd(24), `attempt ${job.attempts}/${job.maxAttempts}`, `run_at ${job.runAt}`, job.lastError ? `error: ${job.lastError}` : ''].join('  ');
}

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** `carnet jobs …`: the operator's view of background work, straight from the database (docs/events-and-jobs.md). */
export async function jobsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const id = Number(rest[0]);
  if (!sub || !['list', 'show', 'retry', 'cancel', 'consumers'].includes(sub) || (['show', 'retry', 'cancel'].includes(sub) && !Number.isInteger(id))) {
    console.error(USAGE);
    return 2;
  }
  const state = option(rest, '--state') as JobState | undefined;
  if (state && !JOB_STATES.includes(state)) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const db = withCommitSignals(await openDatabase(config));
  const log = pino({ level: config.logLevel });
  try {
    await migrate(db);
    const schema = (await db.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s ?? 'public';
    const background = new Background(db, () => new Date(), log, config.background, schema);
    try {
      switch (sub) {
        case 'list': {
          const kind = option(rest, '--kind');
          const jobs = await background.jobs.list({ ...(state ? { state } : {}), ...(kind ? { kind } : {}), limit: Number(option(rest, '--limit') ?? 50) });
          for (const count of await background.jobs.counts()) console.log(`${count.kind}: ${count.count} ${count.state}`);
          for (const job of jobs) console.log(line(job));
          return 0;
        }
        case 'show': {
          const job = await background.jobs.get(id);
          if (!job) {
            console.error(`no job ${id}`);
            return 1;
          }
          console.log(JSON.stringify(job, null, 2));
          return 0;
        }
        case 'retry': {
          const done = await background.jobs.retry(id);
          console.log(done ? `job ${id} will run again` : `job ${id} is not dead or cancelled`);
          return done ? 0 : 1;
        }
        case 'cancel': {
          const outcome = await background.jobs.cancel(id);
          console.log(outcome ? `job ${id} ${outcome}` : `job ${id} has nothing to cancel`);
          return outcome ? 0 : 1;
        }
        default: {
          for (const c of await background.events.lag()) {
            console.log(`${c.name}: ${c.behind} behind, oldest ${c.oldestAgeSeconds.toFixed(1)} s, ${c.handled} handled${c.lastError ? `, failing (${c.failures}): ${c.lastError}` : ''}`);
          }
          return 0;
        }
      }
    } finally {
      await background.close();
    }
  } finally {
    await db.close();
  }
}
