import type { CodeSystem, CodeSystemConcept, ValueSet, ValueSetComposeInclude } from '@medplum/fhirtypes';
import { errors } from '../outcomes.js';
import type { Condition, TokenValue } from './model.js';

/**
 * Value-set membership (`:in`, `:not-in`) and code hierarchies (`:above`, `:below`) for token search. The
 * expansion logic is pure; where ValueSets and CodeSystems come from (the server's own resources, then the
 * FHIR R4 definitions) is injected.
 */
export interface TerminologySource {
  valueSet(url: string): Promise<ValueSet | undefined>;
  codeSystem(url: string): Promise<CodeSystem | undefined>;
  /** Value sets FHIR itself defines, already expanded as `system|code`. */
  builtinValueSet(url: string): ReadonlySet<string> | undefined;
}

export const MAX_EXPANSION = 10_000;

function tooLarge(url: string): never {
  throw errors.invalid(`The value set ${url} expands to more than ${MAX_EXPANSION} codes; search with fewer codes`);
}

/** Every concept of a code system with its parent links, from nesting and from `parent`/`child` properties. */
function hierarchy(cs: CodeSystem): { codes: string[]; parents: Map<string, Set<string>> } {
  const parents = new Map<string, Set<string>>();
  const codes: string[] = [];
  const link = (child: string, parent: string) => {
    let set = parents.get(child);
    if (!set) parents.set(child, (set = new Set()));
    set.add(parent);
  };
  const walk = (concepts: CodeSystemConcept[], parent?: string) => {
    for (const c of concepts) {
      if (!c.code) continue;
      codes.push(c.code);
      if (parent) link(c.code, parent);
      for (const p of c.property ?? []) {
        if (p.code === 'parent' && p.valueCode) link(c.code, p.valueCode);
        if (p.code === 'child' && p.valueCode) link(p.valueCode, c.code);
      }
      if (c.concept) walk(c.concept, c.code);
    }
  };
  walk(cs.concept ?? []);
  return { codes, parents };
}

/** The code and every code it subsumes (`below`), or every code subsuming it (`above`). */
export function related(cs: CodeSystem, code: string, direction: 'above' | 'below'): string[] {
  const { codes, parents } = hierarchy(cs);
  if (!codes.includes(code)) return [code];
  if (direction === 'above') {
    const out = new Set([code]);
    const queue = [code];
    while (queue.length > 0) {
      for (const p of parents.get(queue.pop() as string) ?? []) if (!out.has(p)) (out.add(p), queue.push(p));
    }
    return [...out];
  }
  const children = new Map<string, string[]>();
  for (const [child, ps] of parents) for (const p of ps) children.set(p, [...(children.get(p) ?? []), child]);
  const out = new Set([code]);
  const queue = [code];
  while (queue.length > 0) {
    for (const c of children.get(queue.pop() as string) ?? []) if (!out.has(c)) (out.add(c), queue.push(c));
  }
  return [...out];
}

async function includeCodes(include: ValueSetComposeInclude, source: TerminologySource, depth: number, url: string): Promise<TokenValue[]> {
  const system = include.system;
  let codes: TokenValue[] | undefined;
  if (system) {
    if (include.concept?.length) codes = include.concept.map((c) => ({ system, code: c.code }));
    else {
      const cs = await source.codeSystem(system);
      if (!cs?.concept?.length) throw errors.invalid(`Value set ${url} includes all of ${system}, which this server does not hold`);
      let selected = hierarchy(cs).codes;
      for (const filter of include.filter ?? []) {
        if ((filter.op === 'is-a' || filter.op === 'descendent-of') && filter.property === 'concept' && filter.value) {
          const below = new Set(related(cs, filter.value, 'below'));
          if (filter.op === 'descendent-of') below.delete(filter.value);
          selected = selected.filter((c) => below.has(c));
        } else {
          throw errors.invalid(`Value set ${url} uses a filter (${filter.property} ${filter.op}) Carnet cannot evaluate`);
        }
      }
      codes = selected.map((code) => ({ system, code }));
    }
  }
  for (const inner of include.valueSet ?? []) {
    const innerCodes = await expandValueSet(inner, source, depth + 1);
    const keep = new Set(innerCodes.map((c) => `${c.system}|${c.code}`));
    codes = codes === undefined ? innerCodes : codes.filter((c) => keep.has(`${c.system}|${c.code}`));
  }
  return codes ?? [];
}

/** The codes of a value set: its stored expansion, its compose rules, or FHIR's own definition. */
export async function expandValueSet(url: string, source: TerminologySource, depth = 0): Promise<TokenValue[]> {
  if (depth > 8) throw errors.invalid(`Value set ${url} nests too deeply`);
  const vs = await source.valueSet(url);
  if (vs) {
    if (vs.expansion?.contains?.length) {
      const flat: TokenValue[] = [];
      const walk = (items: NonNullable<NonNullable<ValueSet['expansion']>['contains']>) => {
        for (const item of items) {
          if (item.code && !item.abstract) flat.push({ system: item.system ?? null, code: item.code });
          if (item.contains) walk(item.contains);
        }
      };
      walk(vs.expansion.contains);
      return flat.length > MAX_EXPANSION ? tooLarge(url) : flat;
    }
    const included: TokenValue[] = [];
    for (const include of vs.compose?.include ?? []) {
      included.push(...(await includeCodes(include, source, depth, url)));
      if (included.length > MAX_EXPANSION) tooLarge(url);
    }
    const excluded = new Set<string>();
    for (const exclude of vs.compose?.exclude ?? []) {
      for (const c of await includeCodes(exclude, source, depth, url)) excluded.add(`${c.system}|${c.code}`);
    }
    return included.filter((c) => !excluded.has(`${c.system}|${c.code}`));
  }
  const builtin = source.builtinValueSet(url);
  if (!builtin) throw errors.invalid(`Unknown value set ${url}: store it as a ValueSet resource first`);
  if (builtin.size > MAX_EXPANSION) tooLarge(url);
  return [...builtin].map((entry) => {
    const bar = entry.lastIndexOf('|');
    return { system: entry.slice(0, bar), code: entry.slice(bar + 1) };
  });
}

/** Where `:mdm` finds the source records of a person (the master patient index), when there is one. */
export type LinkedPatients = (patientId: string) => Promise<readonly string[]>;

/**
 * Replaces the conditions that need the database to be known before SQL: `:in`/`:not-in`/`:above`/
 * `:below` become token conditions on the expanded codes, `:mdm` a reference condition on every linked
 * source Patient.
 */
export async function resolveTerminology(condition: Condition, source: TerminologySource, linked?: LinkedPatients): Promise<Condition> {
  const recurse = (c: Condition) => resolveTerminology(c, source, linked);
  switch (condition.kind) {
    case 'patient-links': {
      const ids = new Set<string>();
      for (const id of condition.patientIds) for (const other of linked ? await linked(id) : [id]) ids.add(other);
      return { kind: 'index', table: 'search_reference', key: condition.key, tests: [{ type: 'reference', targets: [...ids].map((id) => `Patient/${id}`) }] };
    }
    case 'terminology': {
      if (condition.mode === 'in' || condition.mode === 'not-in') {
        const url = condition.value as string;
        const values = await expandValueSet(url, source);
        return { kind: 'index', table: 'search_token', key: condition.key, tests: [{ type: 'token-list', values }], ...(condition.mode === 'not-in' ? { negate: true } : {}) };
      }
      const token = condition.value as TokenValue;
      if (!token.system || token.code === undefined) throw errors.invalid(`:${condition.mode} needs system|code`);
      const cs = await source.codeSystem(token.system);
      if (!cs?.concept?.length) throw errors.invalid(`:${condition.mode}: this server does not hold the hierarchy of ${token.system}`);
      const codes = related(cs, token.code, condition.mode);
      return { kind: 'index', table: 'search_token', key: condition.key, tests: [{ type: 'token-list', values: codes.map((code) => ({ system: token.system, code })) }] };
    }
    case 'any':
      return { ...condition, conditions: await Promise.all(condition.conditions.map(recurse)) };
    case 'chain':
      return { ...condition, targets: await Promise.all(condition.targets.map(async (t) => ({ ...t, inner: await Promise.all(t.inner.map(recurse)) }))) };
    case 'has':
      return { ...condition, inner: await Promise.all(condition.inner.map(recurse)) };
    default:
      return condition;
  }
}
