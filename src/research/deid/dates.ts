/**
 * Date shifting and generalisation of FHIR date, dateTime and instant values (pure). A shift moves the
 * calendar date by whole days and keeps the rest of the text (time, zone) as it was, so intervals between
 * two shifted values of one person are kept exactly; the value keeps its precision (a year stays a year).
 */
const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/;

function ymd(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function shiftDate(value: string, days: number): string {
  const m = DATE.exec(value);
  if (!m) return value;
  const [, y, mo, d] = m;
  // A partial date is shifted from its middle, so that a year or a month moves with the day shift on average.
  const base = Date.UTC(Number(y), mo ? Number(mo) - 1 : 6, d ? Number(d) : mo ? 15 : 2);
  const shifted = ymd(new Date(base + days * 86_400_000));
  if (!mo) return shifted.slice(0, 4) + value.slice(4);
  if (!d) return shifted.slice(0, 7) + value.slice(7);
  return shifted + value.slice(10);
}

/** The year of a FHIR date (`1970-03-12` → 1970), or undefined if it is not one. */
export function yearOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = DATE.exec(value);
  return m ? Number(m[1]) : undefined;
}
