import { crawlTypedValue, OperationOutcomeError, toTypedValue, validateResource, type TypedValueWithPath } from '@medplum/core';
import type { Coding, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { fhirDefinitions } from './definitions.js';
import { FhirError, issue } from './outcomes.js';

/**
 * Validates a resource against the R4 StructureDefinitions: types, cardinality and invariants through
 * @medplum/core, plus what it leaves out: required value-set bindings (where the value set can be expanded
 * locally) and at most one variant of each choice element (value[x]).
 * Returns the issues; errors make the resource unacceptable.
 */
export function validationIssues(resource: Resource): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  try {
    issues.push(...validateResource(resource));
  } catch (error) {
    if (error instanceof OperationOutcomeError) issues.push(...(error.outcome.issue ?? []));
    else throw error;
  }
  // The structural pass above must succeed before the schema can be crawled reliably.
  if (!issues.some((i) => i.severity === 'error' || i.severity === 'fatal')) {
    issues.push(...bindingAndChoiceIssues(resource));
  }
  return issues;
}

/** Throws a 400 FhirError naming every problem when the resource is invalid. */
export function assertValid(resource: Resource): void {
  const errors = validationIssues(resource).filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length > 0) {
    const summary = errors.map((i) => `${i.details?.text ?? i.diagnostics} (${i.expression?.join(', ') ?? ''})`).join('; ');
    throw new FhirError('invalid', `Invalid ${resource.resourceType}: ${summary}`, errors);
  }
}

function bindingAndChoiceIssues(resource: Resource): OperationOutcomeIssue[] {
  const defs = fhirDefinitions();
  const found: OperationOutcomeIssue[] = [];
  crawlTypedValue(toTypedValue(resource), {
    visitProperty(parent, key, path, propertyValues, schema) {
      if (key === 'resourceType') return;
      const element = schema.elements[key];
      if (key.endsWith('[x]')) checkSingleChoice(parent, key, path, found);
      const binding = element?.binding;
      if (binding?.strength !== 'required' || !binding.valueSet) return;
      const allowed = defs.valueSetCodes(binding.valueSet);
      if (!allowed) return;
      for (const value of propertyValues.flat()) {
        const problem = bindingProblem(value, allowed);
        if (problem) {
          found.push(issue('error', 'code-invalid', `${problem} is not in the required value set ${binding.valueSet.split('|')[0]}`, [value.path]));
        }
      }
    },
  });
  return found;
}

function checkSingleChoice(parent: TypedValueWithPath, key: string, path: string, found: OperationOutcomeIssue[]): void {
  const base = key.slice(0, -3);
  const object = parent.value as Record<string, unknown>;
  const variants = Object.keys(object).filter((k) => k.startsWith(base) && /^[A-Z]/.test(k.slice(base.length)));
  if (variants.length > 1) {
    const location = path.replace(/\[x\]$/, '');
    const text = `Only one of ${variants.join(', ')} may be present (${key} has a single value)`;
    if (!found.some((i) => i.diagnostics === text)) found.push(issue('error', 'structure', text, [location]));
  }
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
function bindingProblem(value: TypedValueWithPath, allowed: ReadonlySet<string>): string | undefined {
  const inSet = (c: Coding): boolean =>
    c.system ? allowed.has(`${c.system}|${c.code}`) : bareCodes(allowed).has(c.code as string);
  switch (value.type) {
    case 'code':
    case 'string':
    case 'uri': {
      const code = value.value as string;
      return bareCodes(allowed).has(code) ? undefined : `Code "${code}"`;
    }
    case 'Coding': {
      const coding = value.value as Coding;
      return coding.code === undefined || inSet(coding) ? undefined : `Coding ${coding.system ?? ''}|${coding.code}`;
    }
    case 'CodeableConcept': {
      const codings = ((value.value as { coding?: Coding[] }).coding ?? []).filter((c) => c.code !== undefined);
      if (codings.length === 0 || codings.some(inSet)) return undefined;
      return `None of the codings (${codings.map((c) => `${c.system ?? ''}|${c.code}`).join(', ')})`;
    }
    default:
      return undefined;
  }
}
