/**
 * Runs tasks one at a time per key, in the order they were submitted, while tasks with disjoint keys run
 * concurrently. The gateway keys messages by patient, so two messages about one patient are stored in the
 * order they arrived even when they come over different connections. (Across processes, the transaction's
 * advisory locks on the same keys keep the same guarantee.)
 */
export class KeyedSequencer {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const before = keys.map((k) => this.tails.get(k)).filter((p): p is Promise<void> => p !== undefined);
    const result = Promise.all(before).then(task);
    const done = result.then(() => undefined, () => undefined);
    for (const key of keys) this.tails.set(key, done);
    void done.then(() => {
      for (const key of keys) if (this.tails.get(key) === done) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running (for tests and metrics). */
  get busyKeys(): number {
    return this.tails.size;
  }
}
