import type { ExportRow, FileRow } from './store.js';

/**
 * The complete-status answer of a bulk export (Bulk Data Access 2.0 "manifest") and its progress line (pure).
 */
export interface Manifest {
  readonly transactionTime: string;
  readonly request: string;
  readonly requiresAccessToken: true;
  readonly output: readonly { type: string; url: string; count: number }[];
  readonly error: readonly { type: string; url: string; count: number }[];
  readonly deleted?: readonly never[];
  readonly extension?: Record<string, unknown>;
}

export function fileUrl(origin: string, exportId: string, name: string): string {
  return `${origin}/bulk-files/${exportId}/${name}`;
}

export function manifestOf(row: ExportRow, files: readonly FileRow[], origin: string): Manifest {
  const entry = (f: FileRow) => ({ type: f.type, url: fileUrl(origin, row.id, f.name), count: f.count });
  const byPart = [...files].sort((a, b) => (a.type === b.type ? a.part - b.part : a.type < b.type ? -1 : 1));
  return {
    transactionTime: row.transactionTime,
    request: row.requestUrl,
    requiresAccessToken: true,
    output: byPart.filter((f) => f.kind === 'output' && f.count > 0).map(entry),
    error: byPart.filter((f) => f.kind === 'error').map(entry),
    ...(row.params.profile || row.report
      ? { extension: { 'urn:carnet:export:profile': row.params.profile ?? null, 'urn:carnet:export:release-report': row.report ?? null } }
      : {}),
  };
}

/** `X-Progress`: what is done so far, in words a person reads. */
export function progressOf(row: ExportRow): string {
  if (row.status === 'accepted') return 'queued';
  return `${row.exported} resources exported; ${row.typesDone.length} types done`;
}
