import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, Queryable } from '../../storage/database.js';
import { currentContent, presentTypes } from '../../storage/resource-store.js';
import { optedOutRecords, personRecords } from '../../storage/consent-store.js';
import { PURPOSE } from '../../consent/rules.js';
import type { Log } from '../../fhir/context.js';
import type { ResearchConfig } from '../config.js';
import { elementsFor, subset } from './elements.js';
import { filterSearches, listedMembers, memberFilters } from './cohort.js';
import type { Visibility } from '../../storage/sql/visibility.js';
import { patientCompartmentTypes } from './params.js';
import {
  cohortPatients, exportableTypes, exportVisibility, filterPlans, principalOfStored, readPage,
  type ScannedRow, type ScanScope,
} from './scan.js';
import { exportRefusal } from '../projects/rules.js';
import { readProject } from '../projects/store.js';
import { checkpoint, markFailed, markStarted, markTypeDone, readExport, readFiles, saveReleaseState, type ExportRow, type FileRow } from './store.js';
import { prepareRelease, type Release } from '../deid/release.js';
import type { Counts } from '../deid/walk.js';

/**
 * Runs one attempt of an export: type after type, page after page, from the database to NDJSON files,
 * committing a checkpoint after each page. A later attempt (after a crash, in any process) reads the
 * checkpoints, cuts each file back to its last committed length and goes on from the row after it.
 */
export interface RunnerDeps {
  readonly db: Database;
  readonly config: ResearchConfig;
  readonly clock: () => Date;
  readonly log: Log;
  readonly fhirBaseUrl: string;
  /** The server's secret: de-identification keys are derived from it (never stored). */
  readonly secret: string;
}

export function exportDirectory(config: ResearchConfig, id: string): string {
  return join(config.exportDir, id);
}

export async function removeExportFiles(config: ResearchConfig, id: string): Promise<void> {
  await rm(exportDirectory(config, id), { recursive: true, force: true });
}

const fileName = (type: string, part: number) => `${type}.${part}.ndjson`;

/** The types this export writes, in order: asked for (or every type present), within scopes and level. */
async function typesOf(q: Queryable, row: ExportRow): Promise<string[]> {
  const allowed = new Set(exportableTypes(principalOfStored(row.principal)));
  const compartment = row.params.level === 'system' ? undefined : patientCompartmentTypes();
  const wanted = row.params.types ?? [...(await presentTypes(q))].sort();
  return wanted.filter((t) => allowed.has(t) && (!compartment || compartment.has(t)));
}

/** A Group's members: listed, or selected by its member filters (evaluated now, under the exporter's visibility). */
async function groupMembers(q: Queryable, groupId: string, visibility: Visibility, now: Date, baseUrl: string): Promise<string[]> {
  const content = await currentContent(q, 'Group', groupId);
  if (!content) return [];
  const group = JSON.parse(content) as Parameters<typeof listedMembers>[0];
  const filters = memberFilters(group);
  return filters.length > 0 ? cohortPatients(q, filterSearches(filters, baseUrl), visibility, now) : listedMembers(group);
}

/**
 * The patients of a patient- or group-level export; undefined at system level. A Group's members stand for
 * every record of their persons (the MPI's); `patient=` names exactly the records to export — Bulk Data 2.0:
 * nothing of a patient outside the list, so not the person's other records either.
 */
async function patientsOf(q: Queryable, row: ExportRow, visibility: Visibility, now: Date, baseUrl: string): Promise<string[] | undefined> {
  const { level, groupId, patients } = row.params;
  if (level === 'system') return undefined;
  if (level === 'patient') return patients ? [...patients] : undefined;
  const members = await personRecords(q, await groupMembers(q, groupId as string, visibility, now, baseUrl));
  return patients ? members.filter((m) => patients.includes(m)) : members;
}

const pause = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (ms <= 0) return resolve();
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

/**
 * Writes what remains of the export. Returns the release report (if a profile applied), or throws when
 * `signal` aborts (cancel, lease lost, shutdown): what was checkpointed stays, the next attempt goes on.
 */
export async function runExport(deps: RunnerDeps, id: string, signal: AbortSignal, progress: (value: unknown) => Promise<void>): Promise<unknown> {
  const { db, config } = deps;
  const row = await readExport(db, id);
  if (!row || row.status === 'cancelled' || row.status === 'completed' || row.status === 'failed') return undefined;
  const now = deps.clock();
  if (row.principal.project) {
    // A project that expired (or was never approved) while its export waited or ran: the export fails, plainly.
    const refusal = exportRefusal(await readProject(db, row.principal.project), now);
    if (refusal) {
      await markFailed(db, id, now, new Date(now.getTime() + config.retentionHours * 3_600_000), refusal);
      return undefined;
    }
  }
  await markStarted(db, id);
  const principal = principalOfStored(row.principal);
  const optedOut = await optedOutRecords(db, PURPOSE.research, now);
  const patients = await patientsOf(db, row, exportVisibility(principal, now, optedOut), now, deps.fhirBaseUrl);
  const types = await typesOf(db, row);
  const scopeOf = async (type: string, excluded: readonly string[]): Promise<ScanScope> => ({
    transactionTime: row.transactionTime, ...(row.params.since ? { since: row.params.since } : {}), ...(row.params.until ? { until: row.params.until } : {}),
    visibility: exportVisibility(principal, now, excluded), patientDataOnly: row.params.level !== 'system', ...(patients ? { patients } : {}),
    ...(row.params.typeFilters[type] ? { filters: await filterPlans(db, type, row.params.typeFilters[type], deps.fhirBaseUrl) as NonNullable<ScanScope['filters']> } : {}),
    ...(row.params.profile ? { persons: true } : {}),
  });
  const release = row.params.profile ? await releaseOf(deps, row, types.includes('Patient') ? await scopeOf('Patient', optedOut) : undefined, now, signal) : undefined;
  // Suppressed persons (k-anonymity) leave the export as opted-out ones do: in the SQL, with every record of theirs.
  const excluded = release && release.state.suppressedRecords.length > 0 ? [...optedOut, ...release.state.suppressedRecords] : optedOut;
  const directory = exportDirectory(config, id);
  await mkdir(directory, { recursive: true });
  const files = await readFiles(db, id);
  let exported = row.exported;
  for (const type of types) {
    if (row.typesDone.includes(type)) continue;
    const scope = await scopeOf(type, excluded);
    const keep = elementsFor(row.params.elements, type);
    const last = files.filter((f) => f.kind === 'output' && f.type === type).sort((a, b) => b.part - a.part)[0];
    let file: FileRow = last ?? { kind: 'output', type, part: 1, name: fileName(type, 1), count: 0, bytes: 0, phase: 0, lastRid: '0' };
    let handle: FileHandle | undefined;
    try {
      for (;;) {
        if (signal.aborted) throw new Error(`export stopped: ${String(signal.reason)}`);
        const rows = await readPage(db, type, file.phase as 0 | 1, file.lastRid, config.pageSize, scope, now);
        if (rows.length === 0) {
          if (file.phase === 1) break;
          file = { ...file, phase: 1, lastRid: '0' };
          continue;
        }
        const lines: { line: string; rid: string; counts?: Counts }[] = [];
        for (const r of rows) {
          let line = r.content;
          let counts: Counts | undefined;
          if (keep || release) {
            let resource: Record<string, unknown> | undefined = JSON.parse(r.content) as Record<string, unknown>;
            if (release) ({ resource, counts } = release.apply(resource, r));
            if (!resource) continue;
            if (keep) resource = subset(resource, keep);
            line = JSON.stringify(resource);
          }
          lines.push({ line, rid: r.rid, ...(counts ? { counts } : {}) });
        }
        const pageEnd = (rows[rows.length - 1] as ScannedRow).rid;
        // The page's lines, in parts of at most fileResources: a full file is closed and the next one begun.
        let from = 0;
        do {
          if (file.count >= config.fileResources) {
            await handle?.sync();
            await handle?.close();
            handle = undefined;
            file = { ...file, part: file.part + 1, name: fileName(type, file.part + 1), count: 0, bytes: 0 };
          }
          const chunk = lines.slice(from, from + (config.fileResources - file.count));
          from += chunk.length;
          if (!handle && chunk.length > 0) {
            handle = await open(join(directory, file.name), file.bytes === 0 ? 'w' : 'r+');
            if (file.bytes > 0) await handle.truncate(file.bytes);
          }
          const bytes = Buffer.from(chunk.map((l) => `${l.line}\n`).join(''), 'utf8');
          if (handle && bytes.length > 0) await handle.write(bytes, 0, bytes.length, file.bytes);
          const lastRid = from >= lines.length ? pageEnd : (chunk[chunk.length - 1] as { rid: string }).rid;
          file = { ...file, count: file.count + chunk.length, bytes: file.bytes + bytes.length, lastRid };
          const committed = file;
          // The release counts of exactly the lines committed, in the same transaction: a resumed export reports them once.
          const state = release?.commit(chunk.reduce<Counts>((sum, l) => addCounts(sum, l.counts), {}));
          // A page of lines all left out (de-identification) still moves the cursor on.
          if (chunk.length > 0 || from >= lines.length) await db.transaction((tx) => checkpoint(tx, id, committed, chunk.length, state));
        } while (from < lines.length);
        const written = lines.length;
        exported += written;
        await progress({ export: id, type, exported });
        await pause(config.pagePauseMs, signal);
      }
    } finally {
      await handle?.sync().catch(() => undefined);
      await handle?.close().catch(() => undefined);
    }
    await markTypeDone(db, id, type);
  }
  if (row.params.ignored.length > 0) await writeErrorFile(db, directory, id, row.params.ignored);
  return release?.report();
}

function addCounts(sum: Counts, counts: Counts | undefined): Counts {
  for (const [k, n] of Object.entries(counts ?? {})) sum[k] = (sum[k] ?? 0) + n;
  return sum;
}

/** The export's release (its profile applied): the plan stored by an earlier attempt, or made and stored now. */
async function releaseOf(deps: RunnerDeps, row: ExportRow, patientScope: ScanScope | undefined, now: Date, signal: AbortSignal): Promise<Release> {
  const release = await prepareRelease(deps.db, {
    exportId: row.id, profileName: row.params.profile as string, clientId: row.clientId, ...(row.principal.project ? { project: row.principal.project } : {}),
    transactionTime: row.transactionTime, stored: row.report, ...(patientScope ? { patientScope } : {}), now, signal,
  }, { secret: deps.secret, k: deps.config.k, maxSuppressed: deps.config.maxSuppressedPercent / 100, pageSize: deps.config.pageSize });
  if (row.report === null) await saveReleaseState(deps.db, row.id, release.state);
  return release;
}

/** The parameters ignored under `handling=lenient`, as an OperationOutcome line of the manifest's error file. */
async function writeErrorFile(db: Database, directory: string, id: string, ignored: readonly string[]): Promise<void> {
  const outcome = { resourceType: 'OperationOutcome', issue: ignored.map((text) => ({ severity: 'warning', code: 'not-supported', diagnostics: `not applied: ${text}` })) };
  const text = `${JSON.stringify(outcome)}\n`;
  const name = 'OperationOutcome.errors.ndjson';
  const handle = await open(join(directory, name), 'w');
  try {
    await handle.write(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await db.transaction((tx) => checkpoint(tx, id, { kind: 'error', type: 'OperationOutcome', part: 1, name, count: 1, bytes: Buffer.byteLength(text), phase: 1, lastRid: '0' }, 0));
}
