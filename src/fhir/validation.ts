import { OperationOutcomeError, tryGetDataType, validateResource, type InternalSchemaElement } from '@medplum/core';
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
  // Every problem is reported at once, not only the structural ones: the binding walk is defensive about
  // values of the wrong shape, and a location the structural pass already reported is not reported twice.
  const reported = new Set(issues.flatMap((i) => i.expression ?? []));
  let extra: OperationOutcomeIssue[] = [];
  try {
    extra = bindingAndChoiceIssues(resource);
  } catch {
    extra = [];
  }
  issues.push(...extra.filter((i) => !(i.expression ?? []).some((e) => reported.has(e))));
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

interface ElementInfo {
  readonly key: string;
  readonly element: InternalSchemaElement;
  readonly type: string;
}

const elementIndexCache = new Map<string, Map<string, ElementInfo>>();

/** Property name → element and concrete type, with choice elements expanded (valueQuantity → value[x]). */
function elementIndex(typeName: string): Map<string, ElementInfo> | undefined {
  let index = elementIndexCache.get(typeName);
  if (index) return index;
  const schema = tryGetDataType(typeName);
  if (!schema) return undefined;
  index = new Map();
  for (const [key, element] of Object.entries(schema.elements)) {
    if (key.endsWith('[x]')) {
      const base = key.slice(0, -3);
      for (const t of element.type) index.set(base + t.code.charAt(0).toUpperCase() + t.code.slice(1), { key, element, type: t.code });
    } else if (!key.includes('.')) {
      index.set(key, { key, element, type: element.type[0]?.code ?? '' });
    }
  }
  elementIndexCache.set(typeName, index);
  return index;
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
