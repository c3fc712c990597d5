import { createHash } from 'node:crypto';
import { Hl7Message } from '@medplum/core';
import { parseDtm } from '../datatypes/dates.js';
import { Hl7Problem, problem, type Hl7Location } from './problems.js';
import { segmentsOf, type Seg } from './segments.js';

/**
 * The envelope check: bytes → a parsed message whose header (MSH) is complete and acceptable, or a
 * rejection (AR) that names what is wrong. Nothing here touches storage.
 */

export interface Sender {
  readonly application: string;
  readonly facility: string;
  /** Stable key of the sender: `application:facility`, each URI-encoded (used in URNs and the message log). */
  readonly key: string;
}

export interface Envelope {
  readonly sender: Sender;
  readonly controlId: string;
  readonly messageType: string;
  readonly event: string;
  readonly structure: string;
  /** `ORU^R01`. */
  readonly typeCode: string;
  readonly version: string;
  readonly processingId: string;
  /** MSH-7 as sent. */
  readonly sentAt: string;
  readonly charset: string;
}

export interface ParsedMessage {
  readonly text: string;
  readonly message: Hl7Message;
  readonly segments: readonly Seg[];
  readonly envelope: Envelope;
  /** SHA-256 of everything after MSH: a re-sent message keeps it even when its MSH-7 is regenerated. */
  readonly bodyHash: string;
}

export interface EnvelopeRules {
  /** MSH-11 values accepted (P, T, D by default). */
  readonly processingIds: ReadonlySet<string>;
}

export type EnvelopeResult =
  | { readonly ok: true; readonly parsed: ParsedMessage }
  /** `header` is whatever MSH could be read, so that the ACK can still echo the control id. */
  | { readonly ok: false; readonly problem: Hl7Problem; readonly header?: Hl7Message };

const MSH1: Hl7Location = { segment: 'MSH', sequence: 1, field: 1 };
const at = (field: number, component?: number): Hl7Location => ({ segment: 'MSH', sequence: 1, field, ...(component ? { component } : {}) });

/** Character sets of MSH-18 this gateway decodes, to the WHATWG decoder label. */
const CHARSETS: Record<string, string> = {
  '': 'utf-8',
  'UNICODE UTF-8': 'utf-8',
  'UTF-8': 'utf-8',
  ASCII: 'utf-8',
  '8859/1': 'latin1',
  '8859/15': 'iso-8859-15',
};

/** A best-effort parse of the first MSH segment, for echoing fields in a rejection ACK. */
function headerOf(text: string): Hl7Message | undefined {
  const start = text.startsWith('MSH') ? 0 : text.search(/(^|[\r\n])MSH/);
  if (start < 0) return undefined;
  const from = text.startsWith('MSH') ? 0 : text.indexOf('MSH', start);
  const line = text.slice(from).split(/[\r\n]/)[0] ?? '';
  if (line.length < 8) return undefined;
  try {
    const header = Hl7Message.parse(line);
    return header;
  } catch {
    return undefined;
  }
}

function reject(p: Hl7Problem, text?: string): EnvelopeResult {
  const header = text === undefined ? undefined : headerOf(text);
  return { ok: false, problem: p.ack === 'AR' ? p : p.asRejection(), ...(header ? { header } : {}) };
}

function decode(bytes: Buffer): { text: string } | { problem: Hl7Problem; text: string } {
  const latin = bytes.toString('latin1');
  const mshLine = latin.split(/[\r\n]/)[0] ?? '';
  const fieldSep = mshLine.charAt(3);
  const charsetField = fieldSep ? (mshLine.split(fieldSep)[17] ?? '') : '';
  const charset = charsetField.split(mshLine.charAt(5) || '~')[0]?.trim().toUpperCase() ?? '';
  const label = CHARSETS[charset];
  if (label === undefined) return { problem: problem.dataType(at(18), `character set "${charset}" is not supported (UNICODE UTF-8, ASCII, 8859/1, 8859/15)`, 'AR'), text: latin };
  if (charset === 'ASCII') {
    const high = bytes.findIndex((b) => b > 0x7f);
    if (high >= 0) return { problem: problem.dataType(at(18), `MSH-18 declares ASCII but byte ${high} is 0x${(bytes[high] as number).toString(16)}`, 'AR'), text: latin };
  }
  try {
    return { text: new TextDecoder(label, { fatal: true }).decode(bytes) };
  } catch {
    const bad = firstInvalidUtf8(bytes);
    return {
      problem: problem.dataType(at(18), `the message is not valid UTF-8 (first invalid byte at offset ${bad}); declare its character set in MSH-18 (e.g. 8859/1)`, 'AR'),
      text: latin,
    };
  }
}

function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, i + 1), { stream: true });
    } catch {
      return i;
    }
  }
  return bytes.length;
}

/** MSH-1/MSH-2: five distinct, printable, non-alphanumeric separators (a 5th MSH-2 character is the v2.7 truncation character). */
function checkEncodingCharacters(text: string): Hl7Problem | undefined {
  const fieldSep = text.charAt(3);
  const afterSep = text.indexOf(fieldSep, 4);
  const encoding = afterSep < 0 ? '' : text.slice(4, afterSep);
  const chars = [fieldSep, ...encoding];
  if (encoding.length < 4 || encoding.length > 5) {
    return problem.dataType(at(2), `MSH-2 must hold 4 encoding characters (^~\\& as usual), found "${encoding}"`, 'AR');
  }
  if (chars.some((c) => /[A-Za-z0-9\s]/.test(c) || c < ' ' || c > '~')) {
    return problem.dataType(MSH1, `separators "${chars.join('')}" must be printable, non-alphanumeric ASCII characters`, 'AR');
  }
  if (new Set(chars).size !== chars.length) {
    return problem.dataType(at(2), `separators "${chars.join('')}" must all differ from one another`, 'AR');
  }
  return undefined;
}

function hdKey(seg: Seg, field: number): string {
  const hd = seg.rep(field);
  if (!hd) return '';
  return hd.c(2) || hd.c(1);
}

const SEGMENT_NAME = /^[A-Z][A-Z0-9]{2}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

export function readEnvelope(bytes: Buffer, rules: EnvelopeRules): EnvelopeResult {
  if (bytes.length === 0 || bytes.toString('latin1').trim() === '') {
    return reject(problem.sequence(undefined, 'the message is empty', 'AR'));
  }
  const decoded = decode(bytes);
  if ('problem' in decoded) return reject(decoded.problem, decoded.text);
  const text = decoded.text.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '');
  if (text.startsWith('FHS') || text.startsWith('BHS')) {
    return reject(problem.sequence({ segment: text.slice(0, 3), sequence: 1 }, 'batches (FHS/BHS) are not accepted: send one message per MLLP frame or HTTP request', 'AR'), text);
  }
  if (!text.startsWith('MSH')) {
    const first = text.split(/[\r\n]/)[0]?.slice(0, 20) ?? '';
    return reject(problem.sequence({ segment: 'MSH', sequence: 1 }, `the message must begin with an MSH segment (it begins with "${first}")`, 'AR'), text);
  }
  const encodingProblem = checkEncodingCharacters(text);
  // Its own separators cannot be trusted to read (or echo) anything: the ACK uses the standard ones.
  if (encodingProblem) return reject(encodingProblem);

  const lines = text.split(/\r\n|\r|\n/);
  for (const [i, line] of lines.entries()) {
    const name = line.slice(0, 3);
    if (i > 0 && name === 'MSH') return reject(problem.sequence({ segment: 'MSH', sequence: 2 }, 'more than one message in one frame: send one message at a time (batches are not accepted)', 'AR'), text);
    if (!SEGMENT_NAME.test(name) || (line.length > 3 && line.charAt(3) !== text.charAt(3))) {
      return reject(problem.sequence({ segment: name.replace(/[^\x20-\x7e]/g, '?') || '?', sequence: i + 1 }, `line ${i + 1} is not an HL7 segment ("${line.slice(0, 20)}")`, 'AR'), text);
    }
    const control = CONTROL.exec(line);
    if (control) return reject(problem.dataType({ segment: name, sequence: i + 1 }, `control character 0x${control[0].charCodeAt(0).toString(16)} in segment ${i + 1}`, 'AR'), text);
  }

  const message = Hl7Message.parse(lines.join('\r'));
  const parsedHeader = new Hl7Message([message.header], message.context);
  const segments = segmentsOf(message);
  const msh = segments[0] as Seg;
  const fail = (p: Hl7Problem): EnvelopeResult => ({ ok: false, problem: p.asRejection(), header: parsedHeader });

  const application = hdKey(msh, 3);
  const facility = hdKey(msh, 4);
  if (!application && !facility) return fail(problem.missing(at(3), 'MSH-3 sending application (or MSH-4 sending facility)'));
  const sentAt = msh.get(7);
  if (!sentAt) return fail(problem.missing(at(7), 'MSH-7 date/time of message'));
  try {
    parseDtm(sentAt, at(7));
  } catch (error) {
    return fail(error as Hl7Problem);
  }
  const messageType = msh.get(9, 1);
  const event = msh.get(9, 2);
  if (!messageType) return fail(problem.missing(at(9, 1), 'MSH-9 message type'));
  if (!event) return fail(problem.missing(at(9, 2), 'MSH-9.2 trigger event'));
  const controlId = msh.get(10);
  if (!controlId) return fail(problem.missing(at(10), 'MSH-10 message control id'));
  if (controlId.length > 199) return fail(new Hl7Problem('104', 'MSH-10 is longer than 199 characters', at(10), 'AR'));
  const processingId = msh.get(11);
  if (!processingId) return fail(problem.missing(at(11), 'MSH-11 processing id'));
  if (!rules.processingIds.has(processingId)) {
    return fail(new Hl7Problem('202', `processing id "${processingId}" is not accepted here (${[...rules.processingIds].join(', ')})`, at(11), 'AR'));
  }
  const version = msh.get(12);
  if (!version) return fail(problem.missing(at(12), 'MSH-12 version id'));
  if (!/^2\.[1-9](\.[0-9]+)?$/.test(version)) return fail(new Hl7Problem('203', `HL7 version "${version}" is not supported (2.1 to 2.9)`, at(12), 'AR'));

  const key = `${encodeURIComponent(application || '-')}:${encodeURIComponent(facility || '-')}`;
  const body = lines.slice(1).join('\r');
  return {
    ok: true,
    parsed: {
      text,
      message,
      segments,
      bodyHash: createHash('sha256').update(body).digest('hex'),
      envelope: {
        sender: { application, facility, key },
        controlId,
        messageType,
        event,
        structure: msh.get(9, 3),
        typeCode: `${messageType}^${event}`,
        version,
        processingId,
        sentAt,
        charset: msh.get(18) || 'UNICODE UTF-8',
      },
    },
  };
}
