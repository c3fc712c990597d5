import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../../storage/database.js';
import type { FhirContext } from '../context.js';
import type { Visibility } from '../../storage/sql/visibility.js';
import type { RequestAccess } from '../access.js';
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
  /** The reader's languages, for documents Carnet writes (the IPS narratives, timeline labels). */
  readonly acceptLanguage?: string;
}

export interface FhirResponse {
  readonly status: number;
  /** A resource to serialise, or its stored JSON text (served as is, without re-serialising). */
  readonly body?: Resource | string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a handler receives: the request, the context, and where to read (the database or a transaction). */
export interface HandlerInput {
  readonly request: FhirRequest;
  readonly ctx: FhirContext;
  readonly reader: Queryable;
  readonly params: Readonly<Record<string, string>>;
}

export type Handler = (input: HandlerInput) => Promise<FhirResponse>;
