import type { LoadedResources } from './load.js';
import { Progress } from './progress.js';
import { perSecond, seededRandom, summarize, type LatencySummary } from './stats.js';
import { authHeaders } from './server.js';

/** Latency of single-resource interactions (read, vread, update) against the loaded data. */

export interface LatencyResult {
  readonly name: string;
  /** `healthz` (GET /healthz, no database) is the floor of the HTTP stack and the client, for reference. */
  readonly interaction: 'healthz' | 'read' | 'vread' | 'update';
  readonly concurrency: number;
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: LatencySummary;
  readonly stoppedByTimeLimit: boolean;
  readonly firstError?: string;
}

interface Call {
  readonly method: 'GET' | 'PUT';
  readonly path: string;
  readonly body?: string;
}

interface MeasureOptions {
  readonly baseUrl: string;
  readonly name: string;
  readonly interaction: LatencyResult['interaction'];
  readonly concurrency: number;
  readonly requests: number;
  readonly warmup: number;
  readonly maxSeconds: number;
  readonly prefer: string;
  /** The i-th request (i counts warm-up requests too, so every call can be distinct). */
  readonly call: (i: number) => Call;
}

async function send(baseUrl: string, call: Call, prefer: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${baseUrl}${call.path.startsWith('/') ? call.path : `/fhir/${call.path}`}`, {
    method: call.method,
    headers: {
      ...(call.body ? { 'content-type': 'application/fhir+json', prefer: `return=${prefer}` } : {}),
      accept: 'application/fhir+json',
      ...(call.path === '/healthz' ? {} : await authHeaders(baseUrl)),
    },
    ...(call.body ? { body: call.body } : {}),
  });
  return { status: response.status, text: await response.text() };
}

async function measure(options: MeasureOptions): Promise<LatencyResult> {
  const { concurrency, requests, warmup } = options;
  const progress = new Progress(options.name);
  let issued = 0;
  const runWorkers = async (count: number, record: ((ms: number, ok: boolean, text: string, status: number) => void) | undefined, deadline: number) => {
    let started = 0;
    let timedOut = false;
    const worker = async () => {
      while (started < count) {
        if (performance.now() > deadline) {
          timedOut = true;
          return;
        }
        started++;
        const call = options.call(issued++);
        const t0 = performance.now();
        let status = 0;
        let text = '';
        try {
          ({ status, text } = await send(options.baseUrl, call, options.prefer));
        } catch (error) {
          text = (error as Error).message;
        }
        record?.(performance.now() - t0, status >= 200 && status < 300, text, status);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return timedOut;
  };

  await runWorkers(warmup, undefined, performance.now() + options.maxSeconds * 1000);
  const samples: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const stoppedByTimeLimit = await runWorkers(
    requests,
    (ms, ok, text, status) => {
      samples.push(ms);
      if (!ok) {
        errors++;
        firstError ??= `HTTP ${status}: ${text.slice(0, 300)}`;
      }
      if (samples.length % 100 === 0) progress.update(`${samples.length}/${requests} requests`);
    },
    started + options.maxSeconds * 1000,
  );
  const ms = performance.now() - started;
  const latencyMs = summarize(samples);
  progress.update(`${samples.length} requests, p50 ${latencyMs.p50.toFixed(2)} ms, p95 ${latencyMs.p95.toFixed(2)} ms, ${Math.round(perSecond(samples.length, ms))} req/s`, true);
  progress.end();
  return {
    name: options.name,
    interaction: options.interaction,
    concurrency,
    requests: samples.length,
    errors,
    seconds: ms / 1000,
    requestsPerSecond: perSecond(samples.length, ms),
    latencyMs,
    stoppedByTimeLimit,
    ...(firstError ? { firstError } : {}),
  };
}

interface Observation {
  resourceType: 'Observation';
  id: string;
  valueQuantity?: { value?: number };
  [key: string]: unknown;
}

/** Observations that carry a valueQuantity, fetched (untimed) so that updates can change just the value. */
async function observationsToUpdate(baseUrl: string, loaded: LoadedResources, wanted: number, random: () => number): Promise<Observation[]> {
  const ids = [...(loaded.byType.get('Observation') ?? [])];
  // Shuffle (Fisher–Yates) so that the pool is spread over the whole data set.
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [ids[i], ids[j]] = [ids[j] as string, ids[i] as string];
  }
  const pool: Observation[] = [];
  let cursor = 0;
  const worker = async () => {
    while (pool.length < wanted && cursor < ids.length && cursor < wanted * 4) {
      const id = ids[cursor++] as string;
      const { status, text } = await send(baseUrl, { method: 'GET', path: `Observation/${id}` }, 'minimal');
      if (status !== 200) continue;
      const obs = JSON.parse(text) as Observation;
      if (typeof obs.valueQuantity?.value === 'number' && pool.length < wanted) pool.push(obs);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return pool;
}

export interface LatencyOptions {
  readonly baseUrl: string;
  readonly loaded: LoadedResources;
  readonly requests: number;
  readonly warmup: number;
  readonly concurrencies: readonly number[];
  readonly maxSeconds: number;
  readonly prefer: 'minimal' | 'representation';
  /** Called around each measurement, for RSS/CPU accounting. */
  readonly around: <T>(name: string, run: () => Promise<T>) => Promise<T>;
}

export async function latencyPhases(options: LatencyOptions): Promise<LatencyResult[]> {
  const { baseUrl, loaded, requests, warmup, maxSeconds, prefer } = options;
  const results: LatencyResult[] = [];
  if (loaded.size === 0) return results;
  const random = seededRandom(20240601);
  const pick = () => loaded.all[Math.floor(random() * loaded.all.length)] as { type: string; id: string };
  const targets = (n: number) => Array.from({ length: n }, pick);

  for (const concurrency of options.concurrencies) {
    const name = `healthz c${concurrency}`;
    results.push(
      await options.around(name, () =>
        measure({ baseUrl, name, interaction: 'healthz', concurrency, requests, warmup, maxSeconds, prefer, call: () => ({ method: 'GET', path: '/healthz' }) }),
      ),
    );
  }

  for (const interaction of ['read', 'vread'] as const) {
    for (const concurrency of options.concurrencies) {
      const chosen = targets(requests + warmup);
      const name = `${interaction} c${concurrency}`;
      const suffix = interaction === 'vread' ? '/_history/1' : '';
      results.push(
        await options.around(name, () =>
          measure({
            baseUrl, name, interaction, concurrency, requests, warmup, maxSeconds, prefer,
            call: (i) => {
              const t = chosen[i % chosen.length] as { type: string; id: string };
              return { method: 'GET', path: `${t.type}/${t.id}${suffix}` };
            },
          }),
        ),
      );
    }
  }

  const pool = await observationsToUpdate(baseUrl, loaded, requests + warmup, random);
  if (pool.length === 0) return results;
  let counter = 0;
  for (const concurrency of options.concurrencies) {
    const name = `update c${concurrency}`;
    results.push(
      await options.around(name, () =>
        measure({
          baseUrl, name, interaction: 'update', concurrency, requests, warmup, maxSeconds, prefer,
          call: (i) => {
            const obs = pool[i % pool.length] as Observation;
            const quantity = obs.valueQuantity as { value: number };
            // Every PUT carries a value never sent before, so the server always writes a new version.
            counter++;
            const body = { ...obs, valueQuantity: { ...quantity, value: Number((quantity.value + counter / 1000).toFixed(3)) } };
            return { method: 'PUT', path: `Observation/${obs.id}`, body: JSON.stringify(body) };
          },
        }),
      ),
    );
  }
  return results;
}
