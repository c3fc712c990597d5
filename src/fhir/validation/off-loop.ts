import { Worker } from 'node:worker_threads';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { FhirError, issue } from '../outcomes.js';
import { invalidError } from '../validation.js';
import type { ValidationReply, ValidationTask } from './worker.js';
import type { SerializedIndex } from '../../storage/search-index.js';

/**
 * Validation of large bodies off the event loop. Validating a resource costs about a millisecond per
 * kilobyte of JSON (a 3.4 MB Patient took 12.8 s, a 10,000-entry transaction seconds), and on the event
 * loop it stalled every other request for as long. A body of at least `minBytes` is therefore validated by
 * a small pool of worker threads before its write's transaction opens (so no database connection waits
 * on it either), from its JSON text; smaller bodies stay inline, where they cost no copy and no hop.
 *
 * The work one request may cause is bounded: a validation longer than `timeoutMs` is stopped (its worker
 * is replaced) and refused as too-costly; when `maxQueued` bodies already wait, the next one is answered
 * 429 with Retry-After instead of queueing without end. Each worker holds its own copy of the R4
 * definitions (peak RSS of npm run bench: about +270 MB), hence a small pool, started with the server (`warm`) or else at the first large body.
 */

export interface OffLoopOptions {
  /** Worker threads (CARNET_VALIDATION_WORKERS); 0 validates everything inline. */
  readonly workers: number;
  /** Bodies of at least this many characters are validated off the loop (CARNET_VALIDATION_OFFLOOP_BYTES). */
  readonly minBytes: number;
  /** The longest one body's validation may take (CARNET_VALIDATION_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** Bodies that may wait for a worker at once. */
  readonly maxQueued: number;
}

export const DEFAULT_OFF_LOOP: OffLoopOptions = { workers: 1, minBytes: 256 * 1024, timeoutMs: 60_000, maxQueued: 16 };

type Paths = ValidationTask['paths'];

/** Each resource's issues and, for a write, its `stable` index rows serialized (null when invalid). */
export interface Validated {
  readonly issues: OperationOutcomeIssue[][];
  readonly indexes?: (SerializedIndex | null)[];
}

interface Pending {
  readonly task: ValidationTask;
  readonly resolve: (result: Validated) => void;
  readonly reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy?: Pending;
}

/** The JSON text a large body was parsed from (kept by the HTTP layer for bodies of at least minBytes). */
const TEXTS = new WeakMap<object, string>();

export function keepBodyText(parsed: unknown, text: string): void {
  if (parsed !== null && typeof parsed === 'object') TEXTS.set(parsed, text);
}

export function bodyTextOf(parsed: unknown): string | undefined {
  return parsed !== null && typeof parsed === 'object' ? TEXTS.get(parsed) : undefined;
}

export class ValidationPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly options: OffLoopOptions, private readonly workerUrl = new URL('./worker.js', import.meta.url)) {}

  /** Whether a body of this many characters goes to the pool. */
  takes(length: number): boolean {
    return this.options.workers > 0 && length >= this.options.minBytes;
  }

  /** The issues of the resources at `paths` of the body `text` (parsed in the worker), in that order. */
  async validate(text: string, paths: Paths): Promise<OperationOutcomeIssue[][]> {
    return (await this.validateForWrite(text, paths)).issues;
  }

  /** As `validate`; with `indexBase` (the FHIR base URL), also the resources' stable index rows (worker.ts). */
  validateForWrite(text: string, paths: Paths, indexBase?: string): Promise<Validated> {
    if (this.closed) return Promise.reject(new Error('the validation pool is closed'));
    if (this.queue.length >= this.options.maxQueued) {
      return Promise.reject(new FhirError('too-many-requests', 'Too many large bodies are being validated at once; try again shortly').retryAfter(5));
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = { task: { id: this.nextId++, text, paths, ...(indexBase !== undefined ? { indexBase } : {}) }, resolve, reject };
      this.queue.push(pending);
      this.pump();
    });
  }

  /**
   * Starts every worker now and resolves once each has loaded the R4 definitions (`carnet serve` does it
   * before it listens), so the first large body does not wait for a worker to boot. Returns how many run.
   */
  async warm(): Promise<number> {
    if (this.closed) return 0;
    while (this.slots.length < this.options.workers) this.spawn();
    await Promise.all(this.slots.map((s) => s.ready));
    return this.slots.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) this.settle(p, new Error('the validation pool is closed'));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.options.workers) slot = this.spawn();
      if (!slot) return;
      const pending = this.queue.shift() as Pending;
      slot.busy = pending;
      const target = slot;
      void target.ready.then(() => {
        if (target.busy !== pending) return;
        // The bound counts the validation itself, not a new worker's start (it loads the R4 definitions)
        // nor the wait behind other bodies (at most maxQueued of them).
        pending.timer = setTimeout(() => this.expire(pending), this.options.timeoutMs);
        target.worker.postMessage(pending.task);
      });
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl);
    // An idle pool never keeps the process alive.
    worker.unref();
    let markReady: () => void = () => undefined;
    const slot: Slot = { worker, ready: new Promise<void>((resolve) => (markReady = resolve)) };
    worker.on('message', (message: ValidationReply | { ready: true }) => {
      if ('ready' in message) return markReady();
      const pending = slot.busy;
      if (!pending || pending.task.id !== message.id) return;
      slot.busy = undefined;
      if ('error' in message) this.settle(pending, new Error(`validation worker: ${message.error}`));
      else this.settle(pending, undefined, { issues: message.issues, ...(message.indexes ? { indexes: message.indexes } : {}) });
      this.pump();
    });
    const lost = (error: Error) => {
      this.drop(slot);
      if (slot.busy) this.settle(slot.busy, error);
      if (!this.closed) this.pump();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`validation worker exited (${code})`)));
    this.slots.push(slot);
    return slot;
  }

  private drop(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  private expire(pending: Pending): void {
    const queued = this.queue.indexOf(pending);
    if (queued >= 0) this.queue.splice(queued, 1);
    const slot = this.slots.find((s) => s.busy === pending);
    if (slot) {
      // Validation cannot be interrupted in the thread: the worker goes, a fresh one takes its place.
      slot.busy = undefined;
      this.drop(slot);
      void slot.worker.terminate();
    }
    const text = `Validating this body takes longer than ${this.options.timeoutMs} ms, the most one request may use; send it in smaller parts`;
    this.settle(pending, new FhirError('invalid', text, [issue('error', 'too-costly', text)]));
    this.pump();
  }

  private settle(pending: Pending, error?: Error, result?: Validated): void {
    if (pending.timer) clearTimeout(pending.timer);
    pending.timer = undefined;
    if (error) pending.reject(error);
    else pending.resolve(result ?? { issues: [] });
  }
}

/** A resource of a large body to validate: where it is in the body, and (in a Bundle) its entry. */
export interface OffLoopTarget {
  readonly path: readonly (string | number)[];
  readonly resource: Resource;
  readonly entry?: number;
}

/** What the worker found for a large body's resources: which are valid, and their stable index rows. */
export interface LargeBody {
  /** The resources found valid: their writes need no second validation. */
  readonly validated: WeakSet<object>;
  /** Their index rows of the parameters a write leaves alone, serialized (extract/index.ts, `stable`). */
  readonly preIndexed: WeakMap<object, SerializedIndex>;
}

/**
 * Validates the resources of a large body off the loop (when the pool takes it) and throws the first
 * invalid one's 400, located at its entry. Returns the resources found valid, whose writes need no second
 * validation (the write engine's changes — ids, rewritten references, security labels — keep a valid
 * resource valid), with their stable index rows when `indexBase` is given (a write); undefined when the
 * body is validated inline as usual.
 */
export async function validateLargeBody(
  pool: ValidationPool | undefined, body: unknown, targets: readonly OffLoopTarget[], indexBase?: string,
): Promise<LargeBody | undefined> {
  const text = bodyTextOf(body);
  if (!pool || text === undefined || targets.length === 0) return undefined;
  const { issues, indexes } = await pool.validateForWrite(text, targets.map((t) => t.path), indexBase);
  targets.forEach((target, i) => {
    const error = invalidError(target.resource.resourceType, issues[i] ?? []);
    if (error) throw target.entry === undefined ? error : error.atEntry(target.entry);
  });
  const preIndexed = new WeakMap<object, SerializedIndex>();
  targets.forEach((target, i) => {
    const serialized = indexes?.[i];
    if (serialized) preIndexed.set(target.resource, serialized);
  });
  return { validated: new WeakSet(targets.map((t) => t.resource)), preIndexed };
}
