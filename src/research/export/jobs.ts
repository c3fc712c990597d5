import type { Jobs } from '../../jobs/jobs.js';
import type { Database } from '../../storage/database.js';
import type { Log } from '../../fhir/context.js';
import type { ResearchConfig } from '../config.js';
import { removeExportFiles, runExport, type RunnerDeps } from './runner.js';
import { deleteExport, expiredExports, markCompleted, markFailed } from './store.js';

/** The durable jobs of bulk export: one `export.run` per export, and the periodic retention sweep. */
export const EXPORT_JOB = 'export.run';
export const EXPIRE_JOB = 'export.expire';

export interface ExportJobDeps extends RunnerDeps {
  readonly db: Database;
  readonly config: ResearchConfig;
  readonly log: Log;
}

export async function registerExportJobs(jobs: Jobs, deps: ExportJobDeps): Promise<void> {
  const { db, config, clock } = deps;
  const retention = (now: Date) => new Date(now.getTime() + config.retentionHours * 3_600_000);
  jobs.define<{ exportId: string }>(EXPORT_JOB, async ({ job, signal, progress, complete }) => {
    const id = job.payload.exportId;
    let report: unknown;
    try {
      report = await runExport(deps, id, signal, progress);
    } catch (error) {
      if (!signal.aborted && job.attempts >= job.maxAttempts) {
        // The last attempt: the client's next poll says it failed (never with health data in the text).
        await markFailed(db, id, clock(), retention(clock()), error instanceof Error ? error.message.slice(0, 300) : 'export failed');
      }
      throw error;
    }
    await db.transaction(async (tx) => {
      await markCompleted(tx, id, clock(), retention(clock()), report);
      await complete(tx, { exportId: id });
    });
  }, { leaseMs: config.leaseMs, maxAttempts: 5, concurrency: 2, backoff: { baseMs: 2000, maxMs: 60_000 } });

  jobs.define(EXPIRE_JOB, async () => {
    let removed = 0;
    for (;;) {
      const ids = await expiredExports(db, clock(), 100);
      for (const id of ids) {
        await removeExportFiles(config, id);
        await deleteExport(db, id);
      }
      removed += ids.length;
      if (ids.length < 100) return { removed };
    }
  });
  await jobs.schedule(EXPIRE_JOB, { every: 10 * 60_000 });
}
