import type { Resource } from '@medplum/fhirtypes';

/** Writes expressed as data, planned and checked before anything touches storage. */
export type WriteOp =
  | { readonly kind: 'create'; readonly resource: Resource; readonly ifNoneExist?: string; readonly fullUrl?: string }
  | {
      readonly kind: 'update';
      readonly resourceType: string;
      readonly id: string;
      readonly resource: Resource;
      readonly ifMatch?: string;
      readonly fullUrl?: string;
      /** The id is Carnet's own (derived by the server, e.g. from a document's key), not a client's choice. */
      readonly serverId?: true;
    }
  | {
      readonly kind: 'conditional-update';
      readonly resourceType: string;
      readonly criteria: string;
      readonly resource: Resource;
      readonly ifMatch?: string;
      readonly fullUrl?: string;
    }
  | { readonly kind: 'patch'; readonly resourceType: string; readonly id: string; readonly patch: unknown; readonly ifMatch?: string; readonly fullUrl?: string }
  | { readonly kind: 'delete'; readonly resourceType: string; readonly id: string; readonly ifMatch?: string }
  | { readonly kind: 'conditional-delete'; readonly resourceType: string; readonly criteria: string };

export type WriteOutcome = 'created' | 'updated' | 'unchanged' | 'deleted' | 'already-absent' | 'matched-existing';

export interface WriteResult {
  readonly outcome: WriteOutcome;
  readonly status: 200 | 201 | 204;
  readonly resourceType: string;
  readonly id: string;
  readonly versionId?: number;
  readonly lastUpdated?: string;
  /** The stored JSON of the resulting version (absent for deletes). */
  readonly content?: string;
}

export function opResourceType(op: WriteOp): string {
  return op.kind === 'create' ? op.resource.resourceType : op.resourceType;
}
