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
  /** Global sequence number (taken when the event was appended, so not in commit order: see cursor). */
  readonly seq: number;
  /** The writing transaction's id (xid8, decimal). Events are delivered in (xid, seq) order. */
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

/** A consumer's position: everything at or before (xid, seq) is handled. */
export interface EventCursor {
  readonly xid: string;
  readonly seq: number;
}

/** Orders cursors and events the way consumers read them: by transaction id, then sequence. */
export function compareCursors(a: EventCursor, b: EventCursor): number {
  const x = BigInt(a.xid) - BigInt(b.xid);
  if (x !== 0n) return x < 0n ? -1 : 1;
  return a.seq - b.seq;
}

/**
 * Where a consumer stands after reading a batch: past its last event, and — when the batch was not full,
 * so every matching event of a transaction older than `horizon` was in it — at least at the horizon, so
 * that events its filter skipped are not read again.
 */
export function advanceCursor(last: EventCursor | undefined, horizon: string, batchFull: boolean, current: EventCursor): EventCursor {
  let next = current;
  if (last && compareCursors(last, next) > 0) next = last;
  if (!batchFull) {
    const atHorizon = { xid: horizon, seq: 0 };
    if (compareCursors(atHorizon, next) > 0) next = atHorizon;
  }
  return next;
}

type Row = Record<string, unknown>;

function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

export function eventFromRow(row: Row): ChangeEvent {
  const detail = row.detail === null || row.detail === undefined ? undefined : (JSON.parse(row.detail as string) as Record<string, unknown>);
  return {
    seq: Number(row.seq),
    xid: String(row.xid),
    kind: row.kind as ChangeKind,
    resourceType: row.resource_type as string,
    id: row.resource_id as string,
    versionId: row.version_id === null || row.version_id === undefined ? null : Number(row.version_id),
    patientId: (row.patient_id as string | null) ?? null,
    previousPatientId: (row.previous_patient_id as string | null) ?? null,
    sensitivity: (row.sensitivity as string[] | null) ?? [],
    authorOrg: (row.author_org as string | null) ?? null,
    at: iso(row.at),
    ...(detail ? { detail } : {}),
  };
}

export const EVENT_COLUMNS = `seq, xid::text AS xid, kind, resource_type, resource_id, version_id, patient_id, previous_patient_id,
  sensitivity, author_org, at, detail`;
