import { errors, FhirError } from '../fhir/outcomes.js';
import { parseJsonNumbers, scanJson } from '../fhir/written-numbers.js';
import { keepBodyText } from '../fhir/validation/off-loop.js';

/**
 * A JSON request body from its bytes (pure): decoded in the charset its Content-Type declares (UTF-8 when it
 * declares none), refused when the bytes are not text in that charset instead of being stored with U+FFFD in
 * place of what was sent, and refused when it nests deeper than any resource does (a 10,000-deep body
 * overflowed the stack of the recursive walkers behind the parser: a 500).
 */

/** JSON nesting (objects and arrays) a body may have: a transaction Bundle of Questionnaires needs ~40. */
export const MAX_JSON_DEPTH = 128;

const CHARSETS: Readonly<Record<string, 'utf-8' | 'latin1'>> = {
  'utf-8': 'utf-8', utf8: 'utf-8', 'us-ascii': 'utf-8', ascii: 'utf-8',
  'iso-8859-1': 'latin1', 'iso8859-1': 'latin1', latin1: 'latin1', 'iso_8859-1': 'latin1',
};

/** The charset parameter of a Content-Type, lower-cased, or undefined. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return match?.[1]?.toLowerCase();
}

export function decodeBody(bytes: Buffer, contentType: string | undefined): string {
  const declared = charsetOf(contentType);
  const charset = declared === undefined ? 'utf-8' : CHARSETS[declared];
  if (!charset) {
    throw new FhirError('unsupported-media-type', `charset=${declared} is not supported; send UTF-8 (or ISO-8859-1)`);
  }
  if (charset === 'latin1') return bytes.toString('latin1');
  try {
    // fatal: an invalid sequence is an error, never a silent U+FFFD. A byte-order mark is dropped.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw errors.invalid('The body is not valid UTF-8 (declare its charset if it is ISO-8859-1)');
  }
}

/** The deepest nesting of objects and arrays in a JSON text, counted without parsing (linear, no recursion). */
export function jsonDepth(text: string, stopAt = Infinity): number {
  return scanJson(text, stopAt).depth;
}

/**
 * Bytes → JSON value, or a FhirError (400, or 415 for a charset Carnet does not decode). Empty is undefined.
 * The text of a body of at least `keepTextFrom` characters is kept beside it, for validation off the event
 * loop (fhir/validation/off-loop.ts).
 */
export function parseJsonBody(bytes: Buffer, contentType: string | undefined, keepTextFrom = Infinity): unknown {
  const text = decodeBody(bytes, contentType);
  if (text.trim() === '') return undefined;
  const scan = scanJson(text, MAX_JSON_DEPTH);
  if (scan.depth > MAX_JSON_DEPTH) {
    throw errors.invalid(`The body nests objects and arrays more than ${MAX_JSON_DEPTH} deep`);
  }
  try {
    // Decimals keep the precision they were written with (1.50 stays 1.50): fhir/written-numbers.ts.
    const parsed = parseJsonNumbers(text, scan);
    if (text.length >= keepTextFrom) keepBodyText(parsed, text);
    return parsed;
  } catch (error) {
    throw errors.coded('invalid-json', `The body is not valid JSON: ${(error as Error).message}`);
  }
}
