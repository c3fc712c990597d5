import { int, intOrNull, iso, jsonOrNull, text, textOrNull, texts, type Row } from '../storage/sql/rows.js';

/**
 * A change event: one committed change of the record, as the outbox (`change_event`) keeps it. Events
 * carry what a consumer needs to decide without re-reading: the compartment (before and after), the
 * sensitive categories and the writing organisation. The resource itself is read when it is needed
 * (`resource_version`, by type, id and version).
 */
export type ResourceChange = 'create' | 'update' | 'delete';
/** `mpi-link`: a source Patient joined, left or changed Person; `mpi-merge`/`mpi-unmerge`: A40 merges. */
export type MpiChange = 'mpi-link' | 'mpi-merge' | 'mpi-unmerge';
export type ChangeKind = ResourceChange | MpiChange;

export const CHANGE_KINDS: readonly ChangeKind[] = ['create', 'update', 'delete', 'mpi-link', 'mpi-merge', 'mpi-unmerge'];

export interface ChangeEvent {
  /** Global sequence number (taken when the event was appended, so not in commit order: see EventCursor). */
  readonly seq: number;
  /** The writing transaction's id (xid8, decimal): all of a transaction's events become readable at once. */
  readonly xid: string;
  readonly kind: ChangeKind;
  readonly resourceType: string;
  readonly id: string;
  /** The version written (null for MPI events, which are not versions). */
  readonly versionId: number | null;
  /** The Patient compartment of this version; for a delete, of the version deleted. */
  readonly patientId: string | null;
  /** The compartment of the version before (null for a create): differs from `patientId` on a move. */
  readonly previousPatientId: string | null;
  /** Sensitive categories (meta.security: MH, SEX, SUD, HIV…); for a delete, those of the version deleted. */
  readonly sensitivity: readonly string[];
  /** The organisation whose user or system wrote it. */
  readonly authorOrg: string | null;
  /** When it happened (the version's lastUpdated). */
  readonly at: string;
  /**
   * MPI events: `mpi-link` → `{ person, previousPerson, assurance, matchable }`;
   * `mpi-merge`/`mpi-unmerge` → `{ merge, source, target }` (Patient ids). Absent otherwise.
   */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * A consumer's position. `base` is a PostgreSQL snapshot (`pg_snapshot` as text, "xmin:xmax:xip,…"):
 * every event of a transaction visible in it has been handled. The next events are those of the
 * transactions that have become visible since — whatever their sequence numbers — read in `seq` order
 * (which is commit order for any one resource: its writers take its row lock in turn). When they are
 * more than a batch, the consumer pins the snapshot it is catching up to (`target`) and how far it got
 * (`afterSeq`), so that a transaction committing meanwhile waits for the next round instead of being
 * skipped.
 */
export interface EventCursor {
  readonly base: string;
  readonly target: string | null;
  readonly afterSeq: number;
}

/** Where a consumer stands after a batch read between `cursor.base` and `target`. */
export function nextCursor(cursor: EventCursor, target: string, lastSeq: number | undefined, batchFull: boolean): EventCursor {
  if (batchFull && lastSeq !== undefined) return { base: cursor.base, target, afterSeq: lastSeq };
  return { base: target, target: null, afterSeq: 0 };
}

/** Whether a cursor moved (and must be stored). */
export function sameCursor(a: EventCursor, b: EventCursor): boolean {
  return a.base === b.base && a.target === b.target && a.afterSeq === b.afterSeq;
}

export function eventFromRow(row: Row): ChangeEvent {
  const detail = jsonOrNull<Record<string, unknown>>(row, 'detail') ?? undefined;
  return {
    seq: int(row, 'seq'),
    xid: text(row, 'xid'),
    kind: text(row, 'kind') as ChangeKind,
    resourceType: text(row, 'resource_type'),
    id: text(row, 'resource_id'),
    versionId: intOrNull(row, 'version_id'),
    patientId: textOrNull(row, 'patient_id'),
    previousPatientId: textOrNull(row, 'previous_patient_id'),
    sensitivity: texts(row, 'sensitivity'),
    authorOrg: textOrNull(row, 'author_org'),
    at: iso(row, 'at'),
    ...(detail ? { detail } : {}),
  };
}

export const EVENT_COLUMNS = `seq, xid::text AS xid, kind, resource_type, resource_id, version_id, patient_id, previous_patient_id,
  sensitivity, author_org, at, detail`;
