import type { WriteResult } from '../fhir/write/operations.js';

export interface ImportSummary {
  filesDone: number;
  failedFiles: number;
  resources: number;
  created: number;
  updated: number;
  unchanged: number;
  matchedExisting: number;
  deleted: number;
  skipped: number;
  elapsedMs: number;
  readonly failures: { file: string; message: string }[];
}

export function emptySummary(): ImportSummary {
  return {
    filesDone: 0, failedFiles: 0, resources: 0, created: 0, updated: 0, unchanged: 0, matchedExisting: 0,
    deleted: 0, skipped: 0, elapsedMs: 0, failures: [],
  };
}

export function countResults(summary: ImportSummary, results: readonly WriteResult[]): void {
  for (const r of results) {
    summary.resources++;
    if (r.outcome === 'created') summary.created++;
    else if (r.outcome === 'updated') summary.updated++;
    else if (r.outcome === 'unchanged') summary.unchanged++;
    else if (r.outcome === 'matched-existing') summary.matchedExisting++;
    else summary.deleted++;
  }
}
