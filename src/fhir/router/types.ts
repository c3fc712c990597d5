import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../../storage/database.js';
import type { FhirContext } from '../context.js';
import type { Visibility } from '../../storage/sql/visibility.js';
import type { OperationAccess, RequestAccess } from '../access.js';
import type { AuditTrail } from '../../audit/trail.js';

/** A FHIR request with no HTTP in it: what the HTTP adapter, batch entries and tests all hand the router. */
export interface FhirRequest {
  readonly method: string;
  /** Path below the FHIR base, without leading slash: `Patient/1/_history/2`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: FhirRequestHeaders;
  readonly body?: unknown;
  /** What the requester may see, set by access control; searches apply it to every row they touch. */
  readonly visibility?: Visibility;
  /**
   * Who asks (set by the HTTP adapter for every external request; `principal` undefined when no token was
   * sent). Absent for Carnet's own internal calls, which are trusted.
   */
  readonly access?: RequestAccess;
  /** Collects what the interaction touched, for its AuditEvent (set by the router when `access` is). */
  readonly audit?: AuditTrail;
}

export interface FhirRequestHeaders {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
  readonly ifNoneExist?: string;
  readonly ifModifiedSince?: string;
  readonly prefer?: string;
  readonly contentType?: string;
  /** The media types the client accepts (`Accept`); the bulk export kick-off requires it. */
  readonly accept?: string;
  /** The reader's languages, for documents Carnet writes (the IPS narratives, timeline labels). */
  readonly acceptLanguage?: string;
}

export interface FhirResponse {
  readonly status: number;
  /** A resource to serialise, or its stored JSON text (served as is, without re-serialising). */
  readonly body?: Resource | string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Runs a request through the router (with the caller's context), reading from `reader` (default: the database). */
export type Dispatch = (request: FhirRequest, reader?: Queryable) => Promise<FhirResponse>;

/**
 * What a handler receives: the request, the context, where to read (the database or a transaction), and
 * the router it runs in — its route registry (the CapabilityStatement describes it) and a dispatcher (batch
 * and transaction entries go back through it). Handed in rather than imported, so that no interaction
 * imports the router or the registry that imports it.
 */
export interface HandlerInput {
  readonly request: FhirRequest;
  readonly ctx: FhirContext;
  readonly reader: Queryable;
  readonly params: Readonly<Record<string, string>>;
  readonly routes: readonly Route[];
  readonly dispatch: Dispatch;
}

export type Handler = (input: HandlerInput) => Promise<FhirResponse>;

/** Interaction codes as the CapabilityStatement names them (R4 TypeRestfulInteraction/SystemRestfulInteraction). */
export type InteractionCode =
  | 'read' | 'vread' | 'update' | 'patch' | 'delete' | 'history-instance' | 'history-type' | 'create' | 'search-type'
  | 'transaction' | 'batch' | 'history-system' | 'capabilities' | 'operation';

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path segments: literals, or `:type`, `:id`, `:vid` captures. */
  readonly pattern: readonly string[];
  readonly interaction: InteractionCode;
  /** Route matches only when the URL has (true) or lacks (false) a query string; undefined: either. */
  readonly withQuery?: boolean;
  readonly operation?: string;
  /** The operation's canonical definition (default: the generic Resource-level one). */
  readonly definition?: string;
  /** Resource types the route exists for (default: every type). */
  readonly onlyTypes?: readonly string[];
  /** For a compartment search route: the compartment's resource types it exists for (default: every type). */
  readonly onlyCompartmentTypes?: readonly string[];
  /**
   * The access policy of an `$operation` (src/fhir/access.ts); an operation without one is refused.
   * Other interactions are decided from their interaction code.
   */
  readonly access?: OperationAccess;
  readonly handler: Handler;
}
