/** How long a failed job waits before its next attempt (pure). */
export interface Backoff {
  /** The pause after the first failure. */
  readonly baseMs: number;
  /** The longest pause, however many failures. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 1000, maxMs: 60 * 60 * 1000 };

/**
 * The pause after `attempt` failed attempts: doubling from `baseMs` up to `maxMs`, with "equal jitter" —
 * half of it fixed, half random — so that jobs failing together (an endpoint down) do not all come back
 * at the same instant, while none comes back sooner than half its step.
 */
export function retryDelayMs(attempt: number, backoff: Backoff, random: () => number): number {
  const step = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}
