import {
  AsAtom, DotAtom, EqualsAtom, FunctionAtom, IsAtom, LiteralAtom, parseFhirPath, SymbolAtom, tryGetDataType, UnionAtom, type Atom, type TypedValue,
} from '@medplum/core';
import { parsedExpression } from '../../expressions.js';

/**
 * Search parameter expressions compiled to direct walks over the resource JSON (pure). Almost every R4
 * search parameter is a plain path with casts (`(Observation.value as Quantity)`), reference-type filters
 * (`.where(resolve() is Patient)`) or equality filters (`.where(system='email')`); walking those directly is
 * several times faster than interpreting FHIRPath on every write. Anything else is left to @medplum/core's
 * interpreter (compileExpression returns undefined), and a test proves both give the same values.
 */
export type PathEvaluator = (input: readonly TypedValue[]) => TypedValue[];

interface Candidate {
  readonly key: string;
  readonly type: string;
}

const FHIRPATH_PRIMITIVES: Record<string, string> = {
  Boolean: 'boolean', String: 'string', Date: 'date', DateTime: 'dateTime', Instant: 'instant', Decimal: 'decimal', Integer: 'integer', Time: 'time',
};

const candidateCache = new Map<string, readonly Candidate[] | null>();

/** The JSON keys an element may appear under on a value of `type`, with the FHIR type of each. */
function candidates(type: string, name: string): readonly Candidate[] | undefined {
  const cacheKey = `${type}.${name}`;
  let found = candidateCache.get(cacheKey);
  if (found === undefined) {
    const schema = tryGetDataType(type);
    const element = schema?.elements[name] ?? schema?.elements[`${name}[x]`];
    if (!element || element.type.length === 0) found = null;
    else if (schema?.elements[name]) found = [{ key: name, type: element.type[0]?.code as string }];
    else found = element.type.map((t) => ({ key: `${name}${t.code.charAt(0).toUpperCase()}${t.code.slice(1)}`, type: t.code }));
    candidateCache.set(cacheKey, found);
  }
  return found ?? undefined;
}

function push(out: TypedValue[], value: unknown, type: string): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) push(out, item, type);
    return;
  }
  const resolved = type === 'Resource' && typeof value === 'object' && (value as { resourceType?: string }).resourceType
    ? (value as { resourceType: string }).resourceType : type;
  out.push({ type: resolved, value });
}

function navigate(name: string): PathEvaluator {
  return (input) => {
    const out: TypedValue[] = [];
    for (const item of input) {
      const value = item.value as Record<string, unknown> | null;
      if (value === null || typeof value !== 'object') continue;
      for (const c of candidates(item.type, name) ?? []) {
        const v = value[c.key];
        if (v !== undefined) {
          push(out, v, c.type);
          break;
        }
      }
    }
    return out;
  };
}

function typeName(atom: Atom): string | undefined {
  if (!(atom instanceof SymbolAtom)) return undefined;
  return FHIRPATH_PRIMITIVES[atom.name] ?? atom.name;
}

/** The resource type a literal reference points to (`Patient/1` → Patient). */
function referencedType(value: unknown): string | undefined {
  const reference = (value as { reference?: unknown } | null)?.reference;
  if (typeof reference !== 'string') return undefined;
  const m = /^([A-Z][A-Za-z]+)\/[^/]+/.exec(reference);
  return m ? m[1] : undefined;
}

function compileAtom(atom: Atom, rootType: string, atRoot: boolean): PathEvaluator | undefined {
  if (atom instanceof SymbolAtom) {
    if (atRoot && atom.name === rootType) return (input) => input.filter((i) => i.type === rootType);
    return navigate(atom.name);
  }
  if (atom instanceof DotAtom) {
    const left = compileAtom(atom.left, rootType, atRoot);
    const right = left && compileStep(atom.right, rootType);
    return left && right ? (input) => right(left(input)) : undefined;
  }
  if (atom instanceof AsAtom) {
    const left = compileAtom(atom.left, rootType, atRoot);
    const type = typeName(atom.right);
    return left && type ? (input) => left(input).filter((i) => i.type === type) : undefined;
  }
  if (atom instanceof UnionAtom) {
    const left = compileAtom(atom.left, rootType, atRoot);
    const right = compileAtom(atom.right, rootType, atRoot);
    return left && right ? (input) => dedupe([...left(input), ...right(input)]) : undefined;
  }
  return undefined;
}

/** A step after a dot: a property, a cast, or a filter. */
function compileStep(atom: Atom, rootType: string): PathEvaluator | undefined {
  if (atom instanceof FunctionAtom) {
    const [arg] = atom.args;
    if ((atom.name === 'as' || atom.name === 'ofType') && atom.args.length === 1) {
      const type = typeName(arg as Atom);
      return type ? (input) => input.filter((i) => i.type === type) : undefined;
    }
    if (atom.name === 'where' && arg instanceof IsAtom && arg.left instanceof FunctionAtom && arg.left.name === 'resolve' && arg.left.args.length === 0) {
      const type = typeName(arg.right);
      return type ? (input) => input.filter((i) => referencedType(i.value) === type) : undefined;
    }
    if (atom.name === 'where' && arg instanceof EqualsAtom && arg.left instanceof SymbolAtom && arg.right instanceof LiteralAtom) {
      const property = arg.left.name;
      const expected = arg.right.value.value;
      return (input) => input.filter((i) => (i.value as Record<string, unknown> | null)?.[property] === expected);
    }
    return undefined;
  }
  return compileAtom(atom, rootType, false);
}

/** FHIRPath's union removes duplicates; the values here come from one resource, so identity suffices. */
function dedupe(values: TypedValue[]): TypedValue[] {
  if (values.length < 2) return values;
  const seen = new Set<unknown>();
  return values.filter((v) => (seen.has(v.value) ? false : (seen.add(v.value), true)));
}

const compiled = new Map<string, PathEvaluator | null>();

/** The compiled walk of a parameter's expression for one resource type, or undefined to interpret it. */
export function compileExpression(resourceType: string, expression: string, relative = false): PathEvaluator | undefined {
  const key = `${resourceType}\u0000${relative}\u0000${expression}`;
  let found = compiled.get(key);
  if (found === undefined) {
    const parsed = relative ? undefined : parsedExpression(resourceType, expression);
    let evaluator: PathEvaluator | undefined;
    try {
      evaluator = relative ? compileRelative(expression) : compileAtom((parsed as { child: Atom }).child, resourceType, true);
    } catch {
      evaluator = undefined;
    }
    found = evaluator ?? null;
    compiled.set(key, found);
  }
  return found ?? undefined;
}

/** Component expressions of composites, evaluated on an element rather than on the resource. */
function compileRelative(expression: string): PathEvaluator | undefined {
  if (expression.includes('%')) return undefined;
  return compileAtom(parseFhirPath(expression).child, '\u0000', false);
}
