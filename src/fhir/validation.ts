import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { Coding, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { fhirDefinitions } from './definitions.js';
import { FhirError, issue } from './outcomes.js';
import { elementIndex } from './validation/elements.js';
import { shapeIssues } from './validation/shape.js';

/**
 * Validates a resource against the R4 StructureDefinitions. First its JSON shape and primitive values over
 * the raw JSON (validation/shape.ts: the R4 JSON rules, primitive regexes, 32-bit ranges, real dates, which
 * @medplum/core does not check or throws on); when the shape is right, types, cardinality and invariants
 * through @medplum/core, plus what it leaves out: required value-set bindings (where the value set can be
 * expanded locally) and at most one variant of each choice element (value[x]).
 * A resource of the wrong shape is not given to the library: its reading of a malformed resource is
 * unreliable (an empty `valueUri` becomes a missing value and an inv-1 failure elsewhere; some shapes make
 * it throw), so such a resource gets its shape issues and the binding and choice checks.
 * Returns the issues; errors make the resource unacceptable.
 */
export function validationIssues(resource: Resource): OperationOutcomeIssue[] {
  const shape = shapeIssues(resource);
  const kept: OperationOutcomeIssue[] = [...shape];
  if (shape.length === 0) {
    try {
      kept.push(...validateResource(resource));
    } catch (error) {
      if (error instanceof OperationOutcomeError) kept.push(...(error.outcome.issue ?? []));
      else throw error;
    }
  }
  // Every problem is reported at once, not only the structural ones: the binding walk is defensive about
  // values of the wrong shape, and a location the structural pass already reported is not reported twice.
  const reported = new Set(kept.flatMap((i) => i.expression ?? []));
  let extra: OperationOutcomeIssue[] = [];
  try {
    extra = bindingAndChoiceIssues(resource);
  } catch {
    extra = [];
  }
  kept.push(...extra.filter((i) => !(i.expression ?? []).some((e) => reported.has(e))));
  // Nulls are the shape pass's business: it accepts R4 forms the library refuses (a null value whose
  // extension is given).
  return kept.filter((i) => !LIBRARY_SHAPE_TEXT.test(i.details?.text ?? i.diagnostics ?? ''));
}

const LIBRARY_SHAPE_TEXT = /^Invalid null value|^Invalid JSON type: expected \w+, but got undefined/;

/** Throws a 400 FhirError naming every problem when the resource is invalid. */
export function assertValid(resource: Resource): void {
  const error = invalidError(resource.resourceType, validationIssues(resource));
  if (error) throw error;
}

/** The 400 FhirError naming every error among a resource's issues, or undefined when there is none. */
export function invalidError(resourceType: string, issues: readonly OperationOutcomeIssue[]): FhirError | undefined {
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length === 0) return undefined;
  const summary = errors.map((i) => `${i.details?.text ?? i.diagnostics} (${i.expression?.join(', ') ?? ''})`).join('; ');
  return new FhirError('invalid', `Invalid ${resourceType}: ${summary}`, errors);
}

const PRIMITIVE = /^[a-z]/;

/** Walks the resource with its schema: required bindings and a single variant per choice element. */
function bindingAndChoiceIssues(resource: Resource): OperationOutcomeIssue[] {
  const defs = fhirDefinitions();
  const found: OperationOutcomeIssue[] = [];
  const visit = (value: Record<string, unknown>, typeName: string, path: string): void => {
    const index = elementIndex(typeName);
    if (!index) return;
    const choicesSeen = new Map<string, string>();
    for (const [name, child] of Object.entries(value)) {
      const info = index.get(name);
      if (!info || child === null || child === undefined) continue;
      if (info.key.endsWith('[x]')) {
        const other = choicesSeen.get(info.key);
        if (other) found.push(issue('error', 'structure', `Only one of ${other}, ${name} may be present (${info.key} has a single value)`, [`${path}.${info.key.slice(0, -3)}`]));
        choicesSeen.set(info.key, name);
      }
      const items = Array.isArray(child) ? child : [child];
      const binding = info.element.binding;
      if (binding?.strength === 'required' && binding.valueSet) {
        const allowed = defs.valueSetCodes(binding.valueSet);
        if (allowed) {
          items.forEach((item, i) => {
            const problem = bindingProblem(info.type, item, allowed);
            const at = Array.isArray(child) ? `${path}.${name}[${i}]` : `${path}.${name}`;
            if (problem) found.push(issue('error', 'code-invalid', `${problem} is not in the required value set ${binding.valueSet?.split('|')[0]}`, [at]));
          });
        }
      }
      if (PRIMITIVE.test(info.type)) continue;
      for (const [i, item] of items.entries()) {
        if (item === null || typeof item !== 'object') continue;
        // Backbone elements carry their own type names (e.g. ObservationComponent); contained resources name theirs.
        const childType = info.type === 'Resource' ? String((item as { resourceType?: unknown }).resourceType) : info.type;
        visit(item as Record<string, unknown>, childType, Array.isArray(child) ? `${path}.${name}[${i}]` : `${path}.${name}`);
      }
    }
  };
  visit(resource as unknown as Record<string, unknown>, resource.resourceType, resource.resourceType);
  return found;
}

const bareCodesCache = new WeakMap<ReadonlySet<string>, Set<string>>();

/** The codes of a value set without their systems (for `code`-typed elements, which carry no system). */
function bareCodes(allowed: ReadonlySet<string>): Set<string> {
  let codes = bareCodesCache.get(allowed);
  if (!codes) {
    codes = new Set([...allowed].map((a) => a.slice(a.lastIndexOf('|') + 1)));
    bareCodesCache.set(allowed, codes);
  }
  return codes;
}

/** Returns a description of the offending value, or undefined when the value conforms. */
function bindingProblem(type: string, value: unknown, allowed: ReadonlySet<string>): string | undefined {
  const inSet = (c: Coding): boolean =>
    c.system ? allowed.has(`${c.system}|${c.code}`) : bareCodes(allowed).has(c.code as string);
  switch (type) {
    case 'code':
    case 'string':
    case 'uri': {
      const code = value as string;
      return bareCodes(allowed).has(code) ? undefined : `Code "${code}"`;
    }
    case 'Coding': {
      const coding = value as Coding;
      return coding.code === undefined || inSet(coding) ? undefined : `Coding ${coding.system ?? ''}|${coding.code}`;
    }
    case 'CodeableConcept': {
      const codings = ((value as { coding?: Coding[] }).coding ?? []).filter((c) => c.code !== undefined);
      if (codings.length === 0 || codings.some(inSet)) return undefined;
      return `None of the codings (${codings.map((c) => `${c.system ?? ''}|${c.code}`).join(', ')})`;
    }
    default:
      return undefined;
  }
}
