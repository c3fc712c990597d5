/**
 * A loop that runs when woken: `kick()` runs the round now (or right after the one in progress), `wakeIn`
 * schedules a round, the earliest request winning. A round returns when it wants the next one (ms), if
 * sooner than the fallback poll. One round at a time; nothing runs after `stop()`.
 */
export class WakeLoop {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private poll: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(private readonly round: () => Promise<number | undefined>, private readonly onError: (error: unknown) => void) {}

  start(pollMs: number): void {
    this.stopped = false;
    this.poll = setInterval(() => this.kick(), pollMs);
    this.poll.unref();
    this.kick();
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  wakeIn(ms: number): void {
    if (this.stopped) return;
    const at = Date.now() + Math.max(0, ms);
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.kick();
    }, Math.max(0, ms));
    this.timer.unref();
  }

  private async run(): Promise<void> {
    try {
      const next = await this.round();
      if (next !== undefined) {
        if (next <= 0) this.again = true;
        else this.wakeIn(next);
      }
    } catch (error) {
      this.onError(error);
    }
  }

  /** Stops waking and waits for the round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    if (this.timer) clearTimeout(this.timer);
    this.poll = undefined;
    this.timer = undefined;
    await this.running;
  }
}
