/**
 * Unit reconciliation for results from different laboratories (UCUM case-sensitive codes): two units
 * convert when they are the same atoms with different metric prefixes (mmol/L ↔ µmol/L, g/L ↔ mg/dL,
 * 10*9/L stays 10*9/L). Conversions that need a molar mass (mg/dL ↔ mmol/L) are analyte-specific and not
 * guessed: such results stay apart, with their own unit. The full UCUM library is ~300 KB; this covers what
 * laboratories send for the same analyte and costs a few hundred bytes.
 */
const PREFIXES: Record<string, number> = { k: 1e3, h: 1e2, da: 1e1, d: 1e-1, c: 1e-2, m: 1e-3, u: 1e-6, n: 1e-9, p: 1e-12, f: 1e-15 };
const ATOMS = new Set(['g', 'L', 'l', 'mol', 'eq', 'U', '[IU]', 'kat', 's', 'min', 'h', 'd', 'm', '%', '[iU]']);

interface Term {
  readonly atom: string;
  readonly factor: number;
}

function term(text: string): Term {
  if (ATOMS.has(text)) return { atom: text === 'l' ? 'L' : text, factor: 1 };
  for (const [prefix, factor] of Object.entries(PREFIXES)) {
    const rest = text.slice(prefix.length);
    if (text.startsWith(prefix) && ATOMS.has(rest)) return { atom: rest === 'l' ? 'L' : rest, factor };
  }
  // Anything else (10*9, {cells}, annotations) must match exactly.
  return { atom: text, factor: 1 };
}

/** A unit as numerator/denominator terms ("mmol/L" → [mmol] / [L]); undefined for what this does not read. */
function parse(unit: string): { num: Term[]; den: Term[] } | undefined {
  const cleaned = unit.trim().replace(/µ/g, 'u');
  if (!cleaned || /[()^]/.test(cleaned)) return undefined;
  const [num, ...den] = cleaned.split('/');
  const terms = (part: string) => part.split('.').filter(Boolean).map(term);
  return { num: terms(num ?? ''), den: den.flatMap(terms) };
}

/** The factor that turns a value in `from` into `to`, when the two are the same quantity; else undefined. */
export function conversionFactor(from: string, to: string): number | undefined {
  if (from === to) return 1;
  const a = parse(from);
  const b = parse(to);
  if (!a || !b || a.num.length !== b.num.length || a.den.length !== b.den.length) return undefined;
  let factor = 1;
  for (const [x, y] of [...a.num.map((t, i) => [t, b.num[i]] as const)]) {
    if (!y || x.atom !== y.atom) return undefined;
    factor *= x.factor / y.factor;
  }
  for (const [x, y] of [...a.den.map((t, i) => [t, b.den[i]] as const)]) {
    if (!y || x.atom !== y.atom) return undefined;
    factor *= y.factor / x.factor;
  }
  return factor;
}

/** A value converted and rounded to what the source's precision allows (no 5.699999). */
export function convert(value: number, from: string, to: string): number | undefined {
  const factor = conversionFactor(from, to);
  if (factor === undefined) return undefined;
  return Number((value * factor).toPrecision(12));
}
