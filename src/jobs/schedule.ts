import { Cron } from 'croner';

/**
 * When a periodic job runs (pure). `every`: at fixed slots — multiples of the interval since the epoch,
 * so that every process computes the same slots; `cron`: a five-field cron expression in a time zone
 * (default UTC), daylight-saving changes included.
 */
export type Schedule =
  | { readonly every: number }
  | { readonly cron: string; readonly timeZone?: string };

export class ScheduleError extends Error {}

/** Checks a schedule once, when it is declared (a bad one is a programming error, not a runtime one). */
export function checkSchedule(schedule: Schedule): Schedule {
  if ('every' in schedule) {
    if (!Number.isInteger(schedule.every) || schedule.every < 1000) throw new ScheduleError('a schedule\'s "every" is a whole number of milliseconds, at least 1000');
    return { every: schedule.every };
  }
  try {
    if (!cronOf(schedule).nextRun(new Date(0))) throw new Error('it never runs');
  } catch (error) {
    throw new ScheduleError(`invalid cron schedule "${schedule.cron}": ${(error as Error).message}`);
  }
  return schedule.timeZone ? { cron: schedule.cron, timeZone: schedule.timeZone } : { cron: schedule.cron };
}

function cronOf(schedule: { cron: string; timeZone?: string }): Cron {
  return new Cron(schedule.cron, { timezone: schedule.timeZone ?? 'UTC', mode: '5-part', paused: true });
}

/** The first slot strictly after `after`. A process that was down for several slots runs once, not once per slot. */
export function nextRun(schedule: Schedule, after: Date): Date {
  if ('every' in schedule) {
    return new Date((Math.floor(after.getTime() / schedule.every) + 1) * schedule.every);
  }
  const next = cronOf(schedule).nextRun(after);
  if (!next) throw new ScheduleError(`cron schedule "${schedule.cron}" has no future run`);
  return next;
}
