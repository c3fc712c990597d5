/**
 * FHIR R4 primitive values checked as the R4 JSON format defines them (pure): the JSON type each primitive
 * is written with, the regular expression of its datatype, the 32-bit ranges of integers and real calendar
 * dates (the R4 regexes allow 2023-02-29). @medplum/core accepts most of these, so Carnet checks them itself.
 * https://hl7.org/fhir/R4/datatypes.html#primitive
 */

export const PRIMITIVE_TYPES: ReadonlySet<string> = new Set([
  'base64Binary', 'boolean', 'canonical', 'code', 'date', 'dateTime', 'decimal', 'id', 'instant', 'integer',
  'markdown', 'oid', 'positiveInt', 'string', 'time', 'unsignedInt', 'uri', 'url', 'uuid', 'xhtml',
]);

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

const YEAR = '([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)';
const TIME = '([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?';
const ZONE = '(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))';

/** The R4 regexes, anchored; a date-time's time needs its zone (R4: "If hours and minutes are specified, a time zone SHALL be populated"). */
const PATTERN: Readonly<Record<string, RegExp>> = {
  date: new RegExp(`^${YEAR}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$`),
  dateTime: new RegExp(`^${YEAR}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T${TIME}${ZONE})?)?)?$`),
  instant: new RegExp(`^${YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T${TIME}${ZONE}$`),
  time: new RegExp(`^${TIME}$`),
  code: /^[^\s]+( [^\s]+)*$/,
  id: /^[A-Za-z0-9\-.]{1,64}$/,
  uri: /^\S+$/,
  url: /^\S+$/,
  canonical: /^\S+$/,
  oid: /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/,
  uuid: /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
};

const EXPECTED: Readonly<Record<string, string>> = {
  date: 'a date (YYYY, YYYY-MM or YYYY-MM-DD)',
  dateTime: 'a dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a time zone)',
  instant: 'an instant (YYYY-MM-DDThh:mm:ss with a time zone)',
  time: 'a time (hh:mm:ss)',
  code: 'a code (no leading, trailing or repeated whitespace)',
  id: 'an id (1 to 64 of A-Z a-z 0-9 - .)',
  uri: 'a uri (no whitespace)',
  url: 'a url (no whitespace)',
  canonical: 'a canonical URL (no whitespace)',
  oid: 'an oid (urn:oid:…)',
  uuid: 'a uuid (urn:uuid: and lower-case hexadecimal)',
};

const NUMERIC = new Set(['integer', 'unsignedInt', 'positiveInt', 'decimal']);

/** Describes what is wrong with a primitive value of a type, or undefined when it is valid. */
export function primitiveProblem(type: string, value: unknown): string | undefined {
  if (value === null) return 'null is not a value (leave the element out, or give its extension in _element)';
  if (type === 'boolean') return typeof value === 'boolean' ? undefined : `expected a JSON boolean, got ${jsonType(value)}`;
  if (NUMERIC.has(type)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) return `expected a JSON number, got ${jsonType(value)}`;
    if (type === 'decimal') return undefined;
    if (!Number.isInteger(value)) return `${type} must be a whole number, got ${value}`;
    const min = type === 'positiveInt' ? 1 : type === 'unsignedInt' ? 0 : INT32_MIN;
    if (value < min || value > INT32_MAX) return `${type} must be between ${min} and ${INT32_MAX}, got ${value}`;
    return undefined;
  }
  if (typeof value !== 'string') return `expected a JSON string, got ${jsonType(value)}`;
  if (value.length === 0) return 'an empty string is not a value (leave the element out)';
  // PostgreSQL cannot store U+0000 in text or jsonb, and R4 excludes control characters from strings.
  if (value.includes('\u0000')) return 'the NUL character (U+0000) is not allowed';
  if (type === 'base64Binary') return isBase64(value) ? undefined : 'expected base64 (A-Z a-z 0-9 + / with = padding)';
  const pattern = PATTERN[type];
  // "Invalid <type>" as @medplum/core words it, so a message reads the same whichever pass found it.
  if (pattern && !pattern.test(value)) return `Invalid ${type}: "${clip(value)}" is not ${EXPECTED[type]}`;
  if ((type === 'date' || type === 'dateTime' || type === 'instant') && !realDate(value)) {
    return `Invalid ${type}: "${clip(value)}" is not a calendar date`;
  }
  return undefined;
}

/** Year, month and day that exist (after the pattern has matched): no 31 February, 29 February only in leap years. */
export function realDate(value: string): boolean {
  const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(value);
  if (!match?.[3]) return true;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day >= 1 && day <= days;
}

/** Linear (the R4 regex backtracks badly on megabyte attachments): whitespace ignored, groups of four, padding at the end. */
function isBase64(value: string): boolean {
  const compact = value.replace(/\s+/g, '');
  return compact.length > 0 && compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
}

export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Values quoted in messages stay short (and a long one is never echoed whole). */
function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}
