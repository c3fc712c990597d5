import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full collection kept before collecting again
 * (CARNET_HEAP_GROWTH_PERCENT). V8's own factor is dynamic, up to ×4: a long stream of short-lived rows (a
 * bulk export's pages, an import's batches) then leaves hundreds of MB of garbage in the heap before the
 * collector runs. A bounded factor keeps the process near its live size (bench:export: identified export of
 * 300,000 resources, peak RSS 447 → 221 MB, throughput not lower). 0 leaves V8's default.
 */
export function boundHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${Math.round(percent)}`);
}
