/**
 * Index rows of one resource, one array per index table (pure data). `grp` ties the components of a
 * composite parameter to the element they came from (null for ordinary parameters).
 */
export interface TokenRow {
  readonly param: number;
  readonly grp: number | null;
  readonly system: string | null;
  readonly code: string | null;
}

export interface StringRow {
  readonly param: number;
  readonly grp: number | null;
  /** Normalised (case, accents, punctuation): what default, `:contains` and sorting use. */
  readonly norm: string;
  /** As written: what `:exact` uses. */
  readonly exact: string;
}

export interface DateRow {
  readonly param: number;
  readonly grp: number | null;
  /** ISO instant or `-infinity`. */
  readonly lo: string;
  /** ISO instant (exclusive) or `infinity`. */
  readonly hi: string;
}

export interface NumberRow {
  readonly param: number;
  readonly grp: number | null;
  /** Decimal strings; `-Infinity`/`Infinity` for open Range ends. */
  readonly lo: string;
  readonly hi: string;
}

export interface QuantityRow {
  readonly param: number;
  readonly grp: number | null;
  readonly system: string | null;
  readonly code: string | null;
  readonly unit: string | null;
  readonly lo: string;
  readonly hi: string;
  /** UCUM canonical dimension (`g.m-3`…) and value, when the unit is UCUM. */
  readonly canonCode: string | null;
  readonly canonLo: number | null;
  readonly canonHi: number | null;
}

export interface ReferenceRow {
  readonly param: number;
  readonly grp: number | null;
  /** `Type/id` for local references, the URL for external and canonical ones. */
  readonly target: string | null;
  readonly identSystem: string | null;
  readonly identValue: string | null;
}

export interface UriRow {
  readonly param: number;
  readonly grp: number | null;
  readonly uri: string;
}

export interface IndexRows {
  readonly tokens: TokenRow[];
  readonly strings: StringRow[];
  readonly dates: DateRow[];
  readonly numbers: NumberRow[];
  readonly quantities: QuantityRow[];
  readonly references: ReferenceRow[];
  readonly uris: UriRow[];
  /** Narrative and whole-resource text for `_text` and `_content` (normalised). */
  text?: { narrative: string; content: string };
}

export function emptyIndexRows(): IndexRows {
  return { tokens: [], strings: [], dates: [], numbers: [], quantities: [], references: [], uris: [] };
}

export function indexRowCount(rows: IndexRows): number {
  return rows.tokens.length + rows.strings.length + rows.dates.length + rows.numbers.length + rows.quantities.length
    + rows.references.length + rows.uris.length + (rows.text ? 1 : 0);
}
