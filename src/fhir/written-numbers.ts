/**
 * FHIR decimals as written (pure). R4 says a decimal keeps its precision: `1.50` is not `1.5`, and a value
 * of 400 digits is not rounded to the nearest double. JavaScript numbers keep neither, so the numbers whose
 * text a double does not reproduce are remembered beside the parsed JSON and written back as they came.
 *
 * Everything else keeps seeing ordinary numbers (validation, search extraction, consent, documents): only
 * serialisation looks at what was written. Parsing costs one extra linear scan (shared with the depth
 * check); the slower reviver pass runs only for a body that holds such a number.
 *
 * - parseJsonNumbers(text) parses and remembers, per object holding one, the text of each such number;
 * - writtenNumbers(value) lists them by JSON Pointer below a parsed value (paths survive the copies the
 *   write pipeline makes: reference rewriting, stamping, labels);
 * - stringifyJson(value, written) writes the value with those numbers as written, where the value at that
 *   path is still the same number.
 */

/** JSON Pointer (below some value) → a number's text as written. */
export type WrittenNumbers = ReadonlyMap<string, string>;

/** Per parsed object (or array), the texts of its numbers that a double does not reproduce, by key. */
const RAW = new WeakMap<object, Map<string, string>>();
/** Parsed objects that hold such a number, themselves or deeper down. */
const HOLDS = new WeakSet<object>();

/** A number's text in a JSON document, with its position among all the document's numbers. */
interface LossyNumber {
  readonly ordinal: number;
  readonly text: string;
}

/** What one linear pass over a JSON text finds (no parsing, no recursion). */
export interface JsonScan {
  /** The deepest nesting of objects and arrays (the scan stops early beyond `stopAt`). */
  readonly depth: number;
  readonly numbers: number;
  readonly lossy: readonly LossyNumber[];
}

/** Whether a JSON number's text comes back unchanged from the double it parses to. */
export function isLossless(text: string): boolean {
  // Whole numbers of up to 15 digits are exact (JSON has no leading zeros); `-0` is the exception.
  if (text.length <= 15 && !/[.eE]/.test(text)) return text !== '-0';
  return String(Number(text)) === text;
}

export function scanJson(text: string, stopAt = Infinity): JsonScan {
  let depth = 0;
  let max = 0;
  let numbers = 0;
  const lossy: LossyNumber[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote (a backslash escapes the next character).
      for (i++; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAt) return { depth: max, numbers, lossy };
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      let plain = true; // no fraction, no exponent
      for (let d = text.charCodeAt(j); j < n && isNumberChar(d); d = text.charCodeAt(++j)) {
        if (d === 0x2e || d === 0x65 || d === 0x45) plain = false;
      }
      // Most numbers are short whole numbers, exact as doubles: only the others are looked at closely.
      if (!plain || j - i > 15 || (j - i === 2 && c === 0x2d)) {
        const token = text.slice(i, j);
        if (!isLossless(token)) lossy.push({ ordinal: numbers, text: token });
      }
      numbers++;
      i = j - 1;
    }
  }
  return { depth: max, numbers, lossy };
}

function isNumberChar(c: number): boolean {
  // digits . e E + -
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

/**
 * JSON.parse that remembers the numbers a double does not reproduce. `scan` is the text's scanJson (taken
 * again when not given). Throws what JSON.parse throws.
 */
export function parseJsonNumbers(text: string, scan: JsonScan = scanJson(text)): unknown {
  if (scan.lossy.length === 0) return JSON.parse(text);
  let ordinal = 0;
  let next = 0;
  let consistent = true;
  const holders: object[] = [];
  const parsed: unknown = JSON.parse(text, function (this: object, key: string, value: unknown) {
    if (typeof value === 'number') {
      const wanted = scan.lossy[next];
      if (wanted && wanted.ordinal === ordinal) {
        next++;
        if (Number(wanted.text) !== value) consistent = false;
        let raws = RAW.get(this);
        if (!raws) {
          raws = new Map();
          RAW.set(this, raws);
          holders.push(this);
        }
        raws.set(key, wanted.text);
        HOLDS.add(this);
      }
      ordinal++;
    } else if (value !== null && typeof value === 'object' && HOLDS.has(value)) {
      HOLDS.add(this);
    }
    return value;
  });
  // The reviver sees numbers in the text's order unless an object repeats a key or has numeric keys (no
  // FHIR element does): then the positions cannot be trusted, and the numbers are left as parsed.
  if (!consistent || ordinal !== scan.numbers || next !== scan.lossy.length) {
    for (const holder of holders) {
      RAW.delete(holder);
      HOLDS.delete(holder);
    }
  }
  return parsed;
}

function pointerSegment(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}

/** The numbers as written below a value parsed by parseJsonNumbers, by JSON Pointer; undefined when none. */
export function writtenNumbers(value: unknown): Map<string, string> | undefined {
  if (value === null || typeof value !== 'object' || !HOLDS.has(value)) return undefined;
  const out = new Map<string, string>();
  const walk = (node: object, path: string): void => {
    for (const [key, raw] of RAW.get(node) ?? []) out.set(`${path}/${pointerSegment(key)}`, raw);
    for (const [key, child] of Object.entries(node)) {
      if (child !== null && typeof child === 'object' && HOLDS.has(child)) walk(child as object, `${path}/${pointerSegment(key)}`);
    }
  };
  walk(value, '');
  return out;
}

/**
 * Marks an object composed around parsed values (a response Bundle around stored resources) as holding
 * their written numbers when one of its own values does, so that writtenNumbers finds them from it.
 */
export function adoptWritten<T extends object>(node: T): T {
  for (const child of Object.values(node)) {
    if (child !== null && typeof child === 'object' && HOLDS.has(child)) {
      HOLDS.add(node);
      break;
    }
  }
  return node;
}

/** Forgets what was written at `pointer` and below it (that part of the document was replaced). */
export function forgetNumbers(written: Map<string, string>, pointer: string): void {
  for (const path of [...written.keys()]) {
    if (path === pointer || path.startsWith(`${pointer}/`)) written.delete(path);
  }
}

type Transform = (value: unknown) => unknown;

/**
 * JSON.stringify, with the numbers of `written` as written wherever the value at their path is still that
 * number. `transform` may replace each value before it is written (canonical forms sort keys).
 */
export function stringifyJson(value: unknown, written?: WrittenNumbers, transform?: Transform): string {
  if (!written || written.size === 0) {
    return transform ? JSON.stringify(value, (_key, v: unknown) => transform(v)) : JSON.stringify(value);
  }
  const paths = new WeakMap<object, string>();
  const texts: string[] = [];
  const json = JSON.stringify(value, function (this: object, key: string, v: unknown) {
    const holderPath = paths.get(this);
    const path = holderPath === undefined ? '' : `${holderPath}/${pointerSegment(key)}`;
    if (typeof v === 'number') {
      const raw = written.get(path);
      if (raw !== undefined && Number(raw) === v) {
        texts.push(raw);
        // A NUL is refused in every FHIR string, so this marker cannot be a value of the resource.
        return `\u0000n${texts.length - 1}\u0000`;
      }
      return v;
    }
    const out = transform ? transform(v) : v;
    if (out !== null && typeof out === 'object') paths.set(out, path);
    return out;
  });
  return json.replace(/"\\u0000n(\d+)\\u0000"/g, (_match, i: string) => texts[Number(i)] as string);
}
