import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { evalFhirPathTyped, toTypedValue, type TypedValue } from '@medplum/core';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { DEMO_DIR } from '../../src/demo/seed.js';
import { fhirDefinitions } from '../../src/fhir/definitions.js';
import { parsedExpression } from '../../src/fhir/expressions.js';
import { compileExpression } from '../../src/fhir/search/extract/paths.js';
import { searchRegistry } from '../../src/fhir/search/registry.js';
import { FIXTURE_RESOURCES } from './fixtures.js';
import { plant } from './planting.js';

/** The compiled walks give exactly the values FHIRPath gives, for every parameter, on a varied corpus. */
fhirDefinitions();

function corpus(): Resource[] {
  const resources: Resource[] = [...FIXTURE_RESOURCES];
  for (const file of readdirSync(DEMO_DIR).filter((f) => f.endsWith('.json'))) {
    const bundle = JSON.parse(readFileSync(join(DEMO_DIR, file), 'utf8')) as Bundle;
    for (const entry of bundle.entry ?? []) if (entry.resource) resources.push(entry.resource);
  }
  for (const type of fhirDefinitions().resourceTypes) {
    for (const param of searchRegistry().indexed(type)) {
      const planted = plant(param);
      if (planted) resources.push(planted.resource as unknown as Resource);
    }
  }
  return resources;
}

const normalize = (values: TypedValue[]) => values.map((v) => JSON.stringify([v.type, v.value])).sort();

/**
 * @medplum/core's `.as(Type)` function does not filter by type (its `as` operator does), so the reference
 * evaluation uses the operator form, which is what FHIRPath defines for both.
 */
const SYSTEM_TYPES: Record<string, string> = { DateTime: 'dateTime', String: 'string', Boolean: 'boolean', Decimal: 'decimal', Integer: 'integer', Date: 'date' };
const asOperator = (expression: string) =>
  expression.replace(/([A-Za-z][\w.]*)\.as\((\w+)\)/g, (_m, path: string, type: string) => `(${path} as ${SYSTEM_TYPES[type] ?? type})`);

describe('compiled search parameter paths', () => {
  test('give the same typed values as the FHIRPath interpreter', () => {
    const resources = corpus();
    const byType = new Map<string, Resource[]>();
    for (const r of resources) byType.set(r.resourceType, [...(byType.get(r.resourceType) ?? []), r]);
    let compared = 0;
    const differences: string[] = [];
    for (const [type, list] of byType) {
      for (const param of searchRegistry().indexed(type)) {
        const walk = compileExpression(type, param.expression as string);
        if (!walk) continue;
        for (const resource of list) {
          const input = [toTypedValue(resource)];
          const expected = normalize(evalFhirPathTyped(parsedExpression(type, asOperator(param.expression as string)), input, { '%resource': input[0] as TypedValue }));
          const actual = normalize(walk(input));
          compared++;
          if (JSON.stringify(actual) !== JSON.stringify(expected)) differences.push(`${type}.${param.code} on ${resource.id ?? '(planted)'}: ${actual.join(',').slice(0, 120)} ≠ ${expected.join(',').slice(0, 120)}`);
          // Composite components, on each element the composite selects.
          for (const base of param.type === 'composite' ? walk(input) : []) {
            for (const component of param.components) {
              const part = compileExpression(type, component.expression, true);
              if (!part) continue;
              const want = normalize(evalFhirPathTyped(asOperator(component.expression), [base], { '%resource': input[0] as TypedValue }));
              const got = normalize(part([base]));
              compared++;
              if (JSON.stringify(got) !== JSON.stringify(want)) differences.push(`${type}.${param.code}/${component.expression}: ${got.join(',').slice(0, 100)} ≠ ${want.join(',').slice(0, 100)}`);
            }
          }
        }
      }
    }
    assert.ok(compared > 10_000, `${compared} comparisons`);
    assert.deepEqual(differences.slice(0, 30), [], `${differences.length} differences`);
  });

  test('only a handful of expressions fall back to the interpreter', () => {
    const fallbacks: string[] = [];
    for (const type of fhirDefinitions().resourceTypes) {
      for (const param of searchRegistry().indexed(type)) if (!compileExpression(type, param.expression as string)) fallbacks.push(`${type}.${param.code}`);
    }
    assert.deepEqual(fallbacks.sort(), ['Bundle.composition', 'Bundle.message', 'Patient.deceased']);
  });
});
