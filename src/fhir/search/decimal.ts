/**
 * Decimal numbers as search needs them (pure): exact parsing and the implicit range of a value's precision.
 * `100` stands for [99.5, 100.5), `100.0` for [99.95, 100.05), `1e2` for [50, 150). Computed on scaled
 * integers so no binary rounding creeps into the bounds.
 */
export interface DecimalRange {
  readonly lo: string;
  readonly hi: string;
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

interface Scaled {
  readonly digits: bigint;
  /** value = digits × 10^-scale */
  readonly scale: number;
}

function parseScaled(raw: string): Scaled | undefined {
  const m = DECIMAL.exec(raw.trim());
  if (!m) return undefined;
  const [, sign, int, frac = '', exp = '0'] = m;
  const digits = BigInt(`${sign}${int}${frac}`);
  return { digits, scale: frac.length - Number(exp) };
}

function format({ digits, scale }: Scaled): string {
  const negative = digits < 0n;
  let text = (negative ? -digits : digits).toString();
  if (scale <= 0) return `${negative ? '-' : ''}${text}${'0'.repeat(-scale)}`;
  text = text.padStart(scale + 1, '0');
  const out = `${text.slice(0, -scale)}.${text.slice(-scale)}`.replace(/\.?0+$/, '');
  return `${negative ? '-' : ''}${out === '' ? '0' : out}`;
}

export function isDecimal(raw: string): boolean {
  return DECIMAL.test(raw.trim());
}

/** The value as a plain decimal string (exponent expanded), or undefined. */
export function plainDecimal(raw: string): string | undefined {
  const scaled = parseScaled(raw);
  return scaled ? format(scaled) : undefined;
}

/** The implicit range of the value's precision: ± half a unit of its last significant digit. */
export function precisionRange(raw: string): DecimalRange | undefined {
  const scaled = parseScaled(raw);
  if (!scaled) return undefined;
  const ten = scaled.digits * 10n;
  return { lo: format({ digits: ten - 5n, scale: scaled.scale + 1 }), hi: format({ digits: ten + 5n, scale: scaled.scale + 1 }) };
}
