import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { intFrom } from '../config/env.js';

/** Bulk export and research access (docs/research.md), read once at startup. */
export interface ResearchConfig {
  /** Where export files are written (CARNET_EXPORT_DIR; default `<data dir>/exports`). Every API process must see the same directory. */
  readonly exportDir: string;
  /** How long a finished export's files are kept (CARNET_EXPORT_RETENTION_HOURS). */
  readonly retentionHours: number;
  /** Exports one client may have queued or running at once (CARNET_EXPORT_MAX_PER_CLIENT); more is 429. */
  readonly maxPerClient: number;
  /** Resources per NDJSON file before the next part starts (CARNET_EXPORT_FILE_RESOURCES). */
  readonly fileResources: number;
  /** Rows read per page (CARNET_EXPORT_PAGE_SIZE): the memory an export holds at a time. */
  readonly pageSize: number;
  /** A pause between pages, to lighten an export's load on a busy database (CARNET_EXPORT_PAGE_PAUSE_MS). */
  readonly pagePauseMs: number;
  /** How soon another process resumes an export whose process died (CARNET_EXPORT_LEASE_MS). */
  readonly leaseMs: number;
  /** The k of the k-anonymity check of de-identified releases (CARNET_RESEARCH_K). */
  readonly k: number;
  /** Percent of a release's persons that may be suppressed before the quasi-identifiers are generalised further (CARNET_RESEARCH_MAX_SUPPRESSION). */
  readonly maxSuppressedPercent: number;
}

export function loadResearchConfig(env: NodeJS.ProcessEnv, dataDir: string): ResearchConfig {
  const base = dataDir === 'memory://' || dataDir.startsWith('memory:') ? join(tmpdir(), 'carnet-exports') : join(dataDir, 'exports');
  return {
    exportDir: env.CARNET_EXPORT_DIR || base,
    retentionHours: intFrom(env, 'CARNET_EXPORT_RETENTION_HOURS', 24, 1, 24 * 90),
    maxPerClient: intFrom(env, 'CARNET_EXPORT_MAX_PER_CLIENT', 2, 1, 100),
    fileResources: intFrom(env, 'CARNET_EXPORT_FILE_RESOURCES', 100_000, 1, 10_000_000),
    pageSize: intFrom(env, 'CARNET_EXPORT_PAGE_SIZE', 1000, 1, 10_000),
    pagePauseMs: intFrom(env, 'CARNET_EXPORT_PAGE_PAUSE_MS', 0, 0, 60_000),
    leaseMs: intFrom(env, 'CARNET_EXPORT_LEASE_MS', 60_000, 1000, 3_600_000),
    k: intFrom(env, 'CARNET_RESEARCH_K', 5, 2, 100),
    maxSuppressedPercent: intFrom(env, 'CARNET_RESEARCH_MAX_SUPPRESSION', 5, 0, 50),
  };
}
