import type { PreparedBundle } from './bundles.js';
import { Progress } from './progress.js';
import { perSecond, summarize, type LatencySummary } from './stats.js';
import { authHeaders } from './server.js';

/** Loading transaction bundles through POST /fhir, at a fixed concurrency. */

/** Resources the server created, by type, from the `location` of the transaction responses. */
export class LoadedResources {
  readonly byType = new Map<string, string[]>();
  readonly all: { type: string; id: string }[] = [];

  add(type: string, id: string): void {
    let ids = this.byType.get(type);
    if (!ids) this.byType.set(type, (ids = []));
    ids.push(id);
    this.all.push({ type, id });
  }

  get size(): number {
    return this.all.length;
  }
}

export interface LoadPhaseResult {
  readonly name: string;
  readonly concurrency: number;
  readonly bundlesPlanned: number;
  readonly bundles: number;
  readonly failedBundles: number;
  /** Entries of the bundles that committed. */
  readonly resources: number;
  readonly created: number;
  /** Conditional creates that found the resource already there. */
  readonly matchedExisting: number;
  readonly seconds: number;
  readonly resourcesPerSecond: number;
  readonly bundlesPerSecond: number;
  /** Time per transaction (request sent → response read), ms. */
  readonly bundleLatencyMs: LatencySummary;
  readonly stoppedByTimeLimit: boolean;
  readonly errors: readonly string[];
}

interface TransactionResponse {
  resourceType?: string;
  entry?: { response?: { status?: string; location?: string } }[];
  issue?: { diagnostics?: string; details?: { text?: string } }[];
}

const LOCATION = /\/fhir\/([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[0-9]+)?$/;

export interface LoadOptions {
  readonly name: string;
  readonly baseUrl: string;
  readonly bundles: readonly PreparedBundle[];
  readonly concurrency: number;
  readonly maxSeconds: number;
  readonly prefer: 'minimal' | 'representation';
  readonly loaded: LoadedResources;
}

export async function loadPhase(options: LoadOptions): Promise<LoadPhaseResult> {
  const { bundles, concurrency, loaded } = options;
  const deadline = performance.now() + options.maxSeconds * 1000;
  const latencies: number[] = [];
  const errors: string[] = [];
  let next = 0;
  let done = 0;
  let failed = 0;
  let resources = 0;
  let created = 0;
  let matched = 0;
  let stoppedByTimeLimit = false;
  const progress = new Progress(options.name);
  const started = performance.now();

  const report = () =>
    progress.update(
      `${done}/${bundles.length} bundles, ${resources.toLocaleString('en-US')} resources, ` +
        `${Math.round(perSecond(resources, performance.now() - started)).toLocaleString('en-US')} resources/s` +
        (failed ? `, ${failed} failed` : ''),
    );

  const worker = async () => {
    for (;;) {
      if (next >= bundles.length) return;
      if (performance.now() > deadline) {
        stoppedByTimeLimit = true;
        return;
      }
      const bundle = bundles[next++] as PreparedBundle;
      const t0 = performance.now();
      try {
        const response = await fetch(`${options.baseUrl}/fhir`, {
          method: 'POST',
          headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', prefer: `return=${options.prefer}`, ...(await authHeaders(options.baseUrl)) },
          body: bundle.body,
        });
        const text = await response.text();
        latencies.push(performance.now() - t0);
        const body = JSON.parse(text) as TransactionResponse;
        if (response.status !== 200 || body.resourceType !== 'Bundle') {
          failed++;
          const why = body.issue?.map((i) => i.diagnostics ?? i.details?.text).join('; ') ?? text.slice(0, 300);
          if (errors.length < 20) errors.push(`${bundle.file.split('/').pop()}: HTTP ${response.status}: ${why}`);
        } else {
          resources += bundle.entries;
          for (const entry of body.entry ?? []) {
            const status = entry.response?.status ?? '';
            const match = LOCATION.exec(entry.response?.location ?? '');
            if (status.startsWith('201')) {
              created++;
              if (match) loaded.add(match[1] as string, match[2] as string);
            } else if (status.startsWith('200')) {
              matched++;
            }
          }
        }
      } catch (error) {
        failed++;
        if (errors.length < 20) errors.push(`${bundle.file.split('/').pop()}: ${(error as Error).message}`);
      }
      done++;
      report();
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, bundles.length)) }, worker));
  const ms = performance.now() - started;
  report();
  progress.end();
  return {
    name: options.name,
    concurrency,
    bundlesPlanned: bundles.length,
    bundles: done - failed,
    failedBundles: failed,
    resources,
    created,
    matchedExisting: matched,
    seconds: ms / 1000,
    resourcesPerSecond: perSecond(resources, ms),
    bundlesPerSecond: perSecond(done - failed, ms),
    bundleLatencyMs: summarize(latencies),
    stoppedByTimeLimit,
    errors,
  };
}
