import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

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
  internal: 'exception',
};

export function statusOf(category: ErrorCategory): number {
  return STATUS[category];
}

/** A failure that becomes an OperationOutcome. Domain code throws it; only the HTTP edge renders it. */
export class FhirError extends Error {
  constructor(
    readonly category: ErrorCategory,
    message: string,
    readonly issues: OperationOutcomeIssue[] = [issue('error', ISSUE_CODE[category], message)],
  ) {
    super(message);
    this.name = 'FhirError';
  }

  get status(): number {
    return STATUS[this.category];
  }

  get outcome(): OperationOutcome {
    return { resourceType: 'OperationOutcome', issue: this.issues };
  }

  /** The same error, its issues located inside a Bundle entry. */
  atEntry(index: number): FhirError {
    const prefix = `Bundle.entry[${index}]`;
    const located = this.issues.map((i) => ({
      ...i,
      diagnostics: i.diagnostics ? `${prefix}: ${i.diagnostics}` : prefix,
      expression: i.expression?.map((e) => `${prefix}.resource.${e.replace(/^[A-Z][A-Za-z]+\.?/, '')}`.replace(/\.$/, '')),
    }));
    return new FhirError(this.category, `${prefix}: ${this.message}`, located);
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
};
