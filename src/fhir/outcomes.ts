import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { ERROR_CODE_SYSTEM } from '../fhir/code-systems.js';

/**
 * Every error Carnet reports has a category; the category alone decides the HTTP status. This module is
 * the single place where that mapping lives.
 */
export type ErrorCategory =
  | 'invalid' // 400: malformed or unacceptable input
  | 'unprocessable' // 422: well-formed but fails validation rules
  | 'unauthorized' // 401: no or no valid access token
  | 'forbidden' // 403: authenticated, but the policy denies it
  | 'not-found' // 404
  | 'gone' // 410: deleted
  | 'conflict' // 409
  | 'precondition-failed' // 412: stale If-Match, ambiguous conditional match
  | 'method-not-allowed' // 405
  | 'unsupported-media-type' // 415
  | 'not-acceptable' // 406
  | 'too-large' // 413
  | 'not-supported' // 501
  | 'too-many-requests' // 429: come back later (Retry-After)
  | 'unavailable' // 503: the server could not do it now (Retry-After)
  | 'internal'; // 500: a bug

const STATUS: Record<ErrorCategory, number> = {
  invalid: 400,
  unprocessable: 422,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  gone: 410,
  conflict: 409,
  'precondition-failed': 412,
  'method-not-allowed': 405,
  'unsupported-media-type': 415,
  'not-acceptable': 406,
  'too-large': 413,
  'not-supported': 501,
  'too-many-requests': 429,
  unavailable: 503,
  internal: 500,
};

const ISSUE_CODE: Record<ErrorCategory, OperationOutcomeIssue['code']> = {
  invalid: 'invalid',
  unprocessable: 'processing',
  unauthorized: 'login',
  forbidden: 'forbidden',
  'not-found': 'not-found',
  gone: 'deleted',
  conflict: 'conflict',
  'precondition-failed': 'conflict',
  'method-not-allowed': 'not-supported',
  'unsupported-media-type': 'not-supported',
  'not-acceptable': 'not-supported',
  'too-large': 'too-costly',
  'not-supported': 'not-supported',
  'too-many-requests': 'throttled',
  unavailable: 'transient',
  internal: 'exception',
};

export function statusOf(category: ErrorCategory): number {
  return STATUS[category];
}

/**
 * The stable error codes clients match on (never the message text), documented in docs/api.md "Errors".
 * Each code belongs to one category, which alone decides the status; every category is also the code of
 * the errors that have no more specific one. Codes are never renamed or reused once released.
 */
export const ERROR_CODES = {
  invalid: { category: 'invalid', meaning: 'the request is malformed or its input unacceptable' },
  'invalid-json': { category: 'invalid', meaning: 'the body is not JSON' },
  'missing-body': { category: 'invalid', meaning: 'the interaction needs a body and none was sent' },
  unprocessable: { category: 'unprocessable', meaning: 'well-formed, but breaks a rule' },
  'patch-failed': { category: 'unprocessable', meaning: 'a JSON Patch test failed, or the patch changes resourceType or id' },
  unauthorized: { category: 'unauthorized', meaning: 'the access token was refused' },
  'token-required': { category: 'unauthorized', meaning: 'no access token was sent' },
  'token-invalid': { category: 'unauthorized', meaning: 'the access token is invalid, expired or revoked' },
  forbidden: { category: 'forbidden', meaning: 'the access policy refuses it (scope, role, consent)' },
  'not-found': { category: 'not-found', meaning: 'no such resource, version or record (or it may not be seen)' },
  'unknown-type': { category: 'not-found', meaning: 'no such resource type' },
  'no-route': { category: 'not-found', meaning: 'no interaction at this path' },
  gone: { category: 'gone', meaning: 'the resource was deleted' },
  conflict: { category: 'conflict', meaning: 'the request conflicts with the current state' },
  'precondition-failed': { category: 'precondition-failed', meaning: 'a condition of the request does not hold' },
  'version-conflict': { category: 'precondition-failed', meaning: 'If-Match names a version that is no longer current' },
  'multiple-matches': { category: 'precondition-failed', meaning: 'conditional criteria match more than one resource' },
  'method-not-allowed': { category: 'method-not-allowed', meaning: 'the path exists, not with this method' },
  'unsupported-media-type': { category: 'unsupported-media-type', meaning: 'the body is not in a media type this path accepts' },
  'not-acceptable': { category: 'not-acceptable', meaning: 'the client accepts no format Carnet answers in (JSON only)' },
  'too-large': { category: 'too-large', meaning: 'the body is larger than the server accepts' },
  'not-supported': { category: 'not-supported', meaning: 'a valid FHIR request Carnet does not implement' },
  'too-many-requests': { category: 'too-many-requests', meaning: 'too many requests of this kind at once (Retry-After says when to try again)' },
  'export-busy': { category: 'too-many-requests', meaning: 'the client already runs as many bulk exports as it may (docs/research.md)' },
  'project-inactive': { category: 'forbidden', meaning: 'the research project of this client is not approved or has expired (docs/research.md)' },
  'outside-project': { category: 'forbidden', meaning: 'the export asks for more than the research project was approved for (docs/research.md)' },
  unavailable: { category: 'unavailable', meaning: 'the server cannot do it now; try again later (Retry-After)' },
  'statement-timeout': { category: 'unavailable', meaning: 'a database statement of the request ran longer than CARNET_STATEMENT_TIMEOUT_MS allows' },
  internal: { category: 'internal', meaning: 'a bug: the details are in the server log' },
} as const satisfies Record<string, { category: ErrorCategory; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The code system of Carnet's error codes, in `OperationOutcome.issue.details.coding`. */
export { ERROR_CODE_SYSTEM };

/** A failure that becomes an OperationOutcome. Domain code throws it; only `errorResponse` renders it. */
export class FhirError extends Error {
  readonly category: ErrorCategory;

  /** `code`: a category, or a more specific code of the table (its category then follows from it). */
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues: OperationOutcomeIssue[] = [issue('error', ISSUE_CODE[ERROR_CODES[code].category], message)],
  ) {
    super(message);
    this.name = 'FhirError';
    this.category = ERROR_CODES[code].category;
  }

  get status(): number {
    return STATUS[this.category];
  }

  /** Seconds after which the request may be tried again (a 429 or 503 answers them as Retry-After). */
  retryAfterSeconds?: number;

  retryAfter(seconds: number): this {
    this.retryAfterSeconds = seconds;
    return this;
  }

  /** The OperationOutcome: every error issue carries the error code. */
  get outcome(): OperationOutcome {
    const coding = { system: ERROR_CODE_SYSTEM, code: this.code };
    const coded = (i: OperationOutcomeIssue): OperationOutcomeIssue =>
      (i.severity === 'error' || i.severity === 'fatal') && !i.details?.coding?.some((c) => c.system === ERROR_CODE_SYSTEM)
        ? { ...i, details: { ...i.details, coding: [...(i.details?.coding ?? []), coding] } }
        : i;
    return { resourceType: 'OperationOutcome', issue: this.issues.map(coded) };
  }

  /** The same error, its issues located inside a Bundle entry. */
  atEntry(index: number): FhirError {
    const prefix = `Bundle.entry[${index}]`;
    const located = this.issues.map((i) => ({
      ...i,
      diagnostics: i.diagnostics ? `${prefix}: ${i.diagnostics}` : prefix,
      expression: i.expression?.map((e) => `${prefix}.resource.${e.replace(/^[A-Z][A-Za-z]+\.?/, '')}`.replace(/\.$/, '')),
    }));
    return new FhirError(this.code, `${prefix}: ${this.message}`, located);
  }
}

export function issue(
  severity: OperationOutcomeIssue['severity'],
  code: OperationOutcomeIssue['code'],
  text: string,
  expression?: string[],
): OperationOutcomeIssue {
  return { severity, code, details: { text }, diagnostics: text, ...(expression ? { expression } : {}) };
}

export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

export function informational(text: string): OperationOutcome {
  return outcome([issue('information', 'informational', text)]);
}

export const errors = {
  invalid: (text: string, expression?: string[]) => new FhirError('invalid', text, [issue('error', 'invalid', text, expression)]),
  notFound: (text: string) => new FhirError('not-found', text),
  unauthorized: (text: string) => new FhirError('unauthorized', text),
  forbidden: (text: string) => new FhirError('forbidden', text),
  gone: (text: string) => new FhirError('gone', text),
  conflict: (text: string) => new FhirError('conflict', text),
  preconditionFailed: (text: string) => new FhirError('precondition-failed', text),
  notSupported: (text: string) => new FhirError('not-supported', text),
  methodNotAllowed: (text: string) => new FhirError('method-not-allowed', text),
  /** An error with a specific code of the table (its category follows from the code). */
  coded: (code: ErrorCode, text: string) => new FhirError(code, text),
};

/**
 * The error an OperationOutcome response stands for (a transaction's read entry that failed inside the
 * router): its code from the outcome's coding, else the category of its status; its issues kept.
 */
export function errorOfResponse(status: number, body: unknown, message: string): FhirError {
  const issues = (body as OperationOutcome | undefined)?.issue ?? [];
  const known = issues.flatMap((i) => i.details?.coding ?? []).find((c) => c.system === ERROR_CODE_SYSTEM && typeof c.code === 'string' && c.code in ERROR_CODES);
  const byStatus = (Object.keys(STATUS) as ErrorCategory[]).find((c) => STATUS[c] === status) ?? (status >= 500 ? 'internal' : 'invalid');
  return new FhirError(known ? (known.code as ErrorCode) : byStatus, message, ...(issues.length > 0 ? [issues] : []));
}

/** Seconds a client is asked to wait after a statement timeout (Retry-After). */
export const STATEMENT_TIMEOUT_RETRY_SECONDS = 5;

/**
 * The FhirError a failure from below the domain stands for, if it is not a bug: SQLSTATE 57014 (a statement
 * cancelled by the request's statement timeout, or because its client went away) is a 503 `statement-timeout`
 * whose issue code is `timeout`.
 */
export function knownFailure(error: unknown): FhirError | undefined {
  if (error instanceof FhirError) return error;
  if ((error as { code?: unknown } | null)?.code === '57014') {
    const text = 'The request took longer than the server allows one database statement (CARNET_STATEMENT_TIMEOUT_MS); narrow it or try again later';
    return new FhirError('statement-timeout', text, [issue('error', 'timeout', text)]).retryAfter(STATEMENT_TIMEOUT_RETRY_SECONDS);
  }
  return undefined;
}

/**
 * The one mapper from anything thrown to a response: a FhirError renders as its status and OperationOutcome,
 * so does a known failure from below (`knownFailure`: a statement timeout is a 503); anything else is a bug,
 * answered as a 500 without internals (the caller logs the details).
 */
export function errorResponse(error: unknown): { status: number; body: OperationOutcome; headers?: Record<string, string> } {
  const failure = knownFailure(error) ?? new FhirError('internal', 'Internal server error');
  const retry = failure.retryAfterSeconds;
  return { status: failure.status, body: failure.outcome, ...(retry !== undefined ? { headers: { 'retry-after': String(retry) } } : {}) };
}
