import { errors } from '../outcomes.js';
import { dateRange } from '../search/dates.js';

/** Parsing of the instants and partial dates used by history parameters (pure). */

/** `_since` is an instant; a date or partial date is accepted as its start. */
export function parseHistoryInstant(value: string, name: string): string {
  return partialDateRange(value, name).start;
}

/** The implicit range of a (partial) date or dateTime: 2024 → [2024-01-01, 2025-01-01). Times are UTC unless zoned. */
export function partialDateRange(value: string, name: string): { start: string; end: string } {
  const range = dateRange(value);
  if (!range) throw errors.invalid(`${name} must be a FHIR date or instant with a time zone when a time is given (got "${value}")`);
  return range;
}
