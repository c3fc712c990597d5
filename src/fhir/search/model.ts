import type { ParamDef } from './registry.js';

/**
 * What a search asks, after parsing and before SQL (pure data). A search is a conjunction of conditions on
 * the resource rows of one type; each condition is a disjunction of the values given for one parameter.
 */
export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

/** The index table holding a parameter type's rows. */
export type IndexTable =
  | 'search_token' | 'search_string' | 'search_date' | 'search_number' | 'search_quantity' | 'search_reference' | 'search_uri';

export interface TokenValue {
  /** undefined: any system; null: no system (`|code`). */
  readonly system: string | null | undefined;
  /** undefined: any code (`system|`). */
  readonly code: string | undefined;
}

export interface DateValue {
  readonly prefix: Prefix;
  /** The search value's implicit range [start, end) as ISO instants. */
  readonly start: string;
  readonly end: string;
}

export interface NumberValue {
  readonly prefix: Prefix;
  /** The value as a plain decimal string. */
  readonly value: string;
  /** Its implicit precision range [lo, hi). */
  readonly lo: string;
  readonly hi: string;
}

export interface QuantityValue extends NumberValue {
  readonly system: string | undefined;
  readonly code: string | undefined;
  /** When the unit is UCUM: the dimension and the value and range in base units. */
  readonly canonical?: { readonly code: string; readonly value: number; readonly lo: number; readonly hi: number };
}

/** One value test on one index row (the building block of parameters and composites). */
export type ValueTest =
  | { readonly type: 'token'; readonly value: TokenValue }
  | { readonly type: 'token-list'; readonly values: readonly TokenValue[] }
  | { readonly type: 'string'; readonly mode: 'prefix' | 'exact' | 'contains' | 'word' | 'key'; readonly value: string }
  | { readonly type: 'date'; readonly value: DateValue }
  | { readonly type: 'number'; readonly value: NumberValue }
  | { readonly type: 'quantity'; readonly value: QuantityValue }
  | { readonly type: 'reference'; readonly targets: readonly string[] }
  | { readonly type: 'reference-identifier'; readonly value: TokenValue }
  | { readonly type: 'uri'; readonly mode: 'exact' | 'below' | 'above'; readonly value: string };

export type Condition =
  /** Some row of `table` under `key` passes one of the tests (or, with `negate`, none does). */
  | { readonly kind: 'index'; readonly table: IndexTable; readonly key: number; readonly tests: readonly ValueTest[]; readonly negate?: boolean }
  | { readonly kind: 'missing'; readonly table: IndexTable; readonly key: number; readonly missing: boolean }
  /** Composite: one group of rows passes every component test, for one of the alternatives. */
  | { readonly kind: 'composite'; readonly alternatives: readonly { readonly table: IndexTable; readonly key: number; readonly test: ValueTest }[][] }
  | { readonly kind: 'id'; readonly ids: readonly string[]; readonly negate?: boolean }
  | { readonly kind: 'last-updated'; readonly values: readonly DateValue[] }
  /** Chaining: a reference under `key` points to a resource of one of the types that meets `inner`. */
  | { readonly kind: 'chain'; readonly key: number; readonly targets: readonly { readonly type: string; readonly inner: readonly Condition[] }[] }
  /** Reverse chaining (`_has`): some `sourceType` resource refers to this one under `key` and meets `inner`. */
  | { readonly kind: 'has'; readonly sourceType: string; readonly key: number; readonly inner: readonly Condition[] }
  | { readonly kind: 'fulltext'; readonly field: 'narrative' | 'content'; readonly query: string }
  | { readonly kind: 'list'; readonly listIds: readonly string[]; readonly itemKey: number }
  /** The resource is in the compartment of `target` through one of the compartment parameters. */
  | { readonly kind: 'compartment'; readonly keys: readonly number[]; readonly target: string; readonly selfId?: string }
  | { readonly kind: 'near'; readonly latitude: number; readonly longitude: number; readonly km: number }
  /** Value-set membership or code hierarchy, resolved to token values before SQL (needs the database). */
  | { readonly kind: 'terminology'; readonly key: number; readonly mode: 'in' | 'not-in' | 'above' | 'below'; readonly value: TokenValue | string }
  /** `:mdm`: a reference to any source record of the same person as these Patients (master patient index). */
  | { readonly kind: 'patient-links'; readonly key: number; readonly patientIds: readonly string[] }
  | { readonly kind: 'any'; readonly conditions: readonly Condition[] }
  | { readonly kind: 'none' };

export type SortKey =
  | { readonly by: 'id' | 'last-updated'; readonly descending: boolean }
  | { readonly by: 'param'; readonly param: ParamDef; readonly descending: boolean };

export interface IncludeSpec {
  readonly sourceType: string;
  /** Reference parameter keys followed (all reference parameters of the type for `*`). */
  readonly keys: readonly number[];
  /** Only resources of this type are included (`Observation:subject:Patient`). */
  readonly targetType: string | undefined;
  readonly iterate: boolean;
}

export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false';
export type TotalMode = 'none' | 'estimate' | 'accurate';

export interface SearchPlan {
  readonly resourceType: string;
  readonly conditions: readonly Condition[];
  readonly sort: readonly SortKey[];
  readonly count: number;
  readonly total: TotalMode | undefined;
  readonly summary: SummaryMode | undefined;
  readonly elements: readonly string[] | undefined;
  readonly include: readonly IncludeSpec[];
  readonly revinclude: readonly IncludeSpec[];
  /** `_contained`: search the resources' own values, their contained resources' values, or both. */
  readonly contained: 'false' | 'true' | 'both';
  readonly cursor: string | undefined;
  /** Parameters ignored under `Prefer: handling=lenient`, reported in an OperationOutcome entry. */
  readonly ignored: readonly string[];
}
