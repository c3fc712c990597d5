import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../../storage/database.js';
import type { FhirContext } from '../context.js';
import type { Visibility } from '../search/visibility.js';

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
}

export interface FhirRequestHeaders {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
  readonly ifNoneExist?: string;
  readonly ifModifiedSince?: string;
  readonly prefer?: string;
  readonly contentType?: string;
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
