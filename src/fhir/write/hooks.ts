import type { Principal } from '../../access/principal.js';
import type { Queryable } from '../../storage/database.js';
import type { FhirContext } from '../context.js';

/** A version the write engine has just stored (deletes have no content). */
export interface WrittenVersion {
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: number;
  readonly deleted: boolean;
  /** The stored JSON (absent for deletes). */
  readonly content: string | null;
}

/**
 * Work that must happen atomically with a write: it runs inside the write's database transaction, after
 * the versions are stored, and its failure rolls the write back. Used by the MPI to match every source
 * Patient as it is written (never lost, never left unlinked). A hook may write through the engine itself;
 * it is then called again for those writes, so it must ignore what it does not handle.
 */
export type AfterWriteHook = (tx: Queryable, ctx: FhirContext, written: readonly WrittenVersion[], by: WrittenBy) => Promise<void>;

/** Who wrote: the requester's principal, absent for Carnet's own writes (imports, HL7 feeds, its own jobs). */
export interface WrittenBy {
  readonly principal?: Principal;
  /** Adds a decision's reason to the requester's audit record (e.g. an audited override); absent for Carnet's own writes. */
  readonly note?: (reason: string) => void;
}
