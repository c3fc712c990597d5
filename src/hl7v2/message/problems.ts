/**
 * What can be wrong with an HL7 v2 message, located the way an ACK's ERR segment names it. Every mapper and
 * check throws or collects these; the ACK builder is the only place that turns them into ERR segments.
 */

/** HL7 table 0357 (message error condition codes). */
export type Hl7ErrorCode =
  | '100' // segment sequence error
  | '101' // required field missing
  | '102' // data type error
  | '103' // table value not found
  | '104' // value too long
  | '200' // unsupported message type
  | '201' // unsupported event code
  | '202' // unsupported processing id
  | '203' // unsupported version id
  | '204' // unknown key identifier
  | '205' // duplicate key identifier
  | '206' // application record locked
  | '207'; // application internal error

export const ERROR_TEXT: Record<Hl7ErrorCode, string> = {
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '104': 'Value too long',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application internal error',
};

/** Where a problem is: the n-th segment of that name (1-based), a field, and optionally component/repetition. */
export interface Hl7Location {
  readonly segment: string;
  /** Occurrence of this segment name in the message, 1-based (OBX[3] is the third OBX). */
  readonly sequence: number;
  readonly field?: number;
  readonly component?: number;
  /** 1-based repetition of the field. */
  readonly repetition?: number;
}

export function formatLocation(at: Hl7Location | undefined): string {
  if (!at) return 'message';
  let text = `${at.segment}[${at.sequence}]`;
  if (at.field !== undefined) {
    text += `-${at.field}`;
    if (at.repetition !== undefined && at.repetition > 1) text += `(${at.repetition})`;
    if (at.component !== undefined) text += `.${at.component}`;
  }
  return text;
}

/**
 * AR: rejected for reasons unrelated to content (envelope, unsupported type, system trouble): may be sent
 * again later. AE: the content is wrong and must be corrected.
 */
export type Rejection = 'AE' | 'AR';

export class Hl7Problem extends Error {
  constructor(
    readonly code: Hl7ErrorCode,
    readonly reason: string,
    readonly at?: Hl7Location,
    readonly ack: Rejection = 'AE',
    readonly severity: 'E' | 'W' = 'E',
  ) {
    super(`${formatLocation(at)}: ${reason}`);
    this.name = 'Hl7Problem';
  }

  /** The same problem, answered AR (envelope problems). */
  asRejection(): Hl7Problem {
    return new Hl7Problem(this.code, this.reason, this.at, 'AR', this.severity);
  }
}

export const problem = {
  missing: (at: Hl7Location, what: string, ack: Rejection = 'AE') => new Hl7Problem('101', `${what} is required`, at, ack),
  dataType: (at: Hl7Location, reason: string, ack: Rejection = 'AE') => new Hl7Problem('102', reason, at, ack),
  table: (at: Hl7Location, reason: string) => new Hl7Problem('103', reason, at),
  sequence: (at: Hl7Location | undefined, reason: string, ack: Rejection = 'AE') => new Hl7Problem('100', reason, at, ack),
  duplicate: (at: Hl7Location, reason: string) => new Hl7Problem('205', reason, at),
  warning: (code: Hl7ErrorCode, reason: string, at?: Hl7Location) => new Hl7Problem(code, reason, at, 'AE', 'W'),
};
