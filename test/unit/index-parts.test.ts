import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { extractIndex } from '../../src/fhir/search/extract/index.js';
import { rewriteReferences, rewritesOutsideReferences } from '../../src/fhir/references.js';
import { labelSensitive } from '../../src/consent/labels.js';
import { stamp } from '../../src/fhir/write/versioning.js';
import { arrayLiteral, joinLiterals, serializeIndex } from '../../src/storage/search-index.js';
import type { IndexRows } from '../../src/storage/sql/index-rows.js';

/**
 * Issue #13: a large body's search index rows are computed off the event loop from the body as sent (the
 * `stable` parameters) and completed over the stored version (`volatile`: id, meta, references, full
 * text). Their union must be exactly the rows of the stored version.
 */
const BASE = 'http://carnet.test/fhir';
const ROW_TABLES = ['tokens', 'strings', 'dates', 'numbers', 'quantities', 'references', 'uris'] as const;

function multiset(rows: IndexRows): Record<string, string[]> {
  return Object.fromEntries(ROW_TABLES.map((t) => [t, (rows[t] as readonly unknown[]).map((r) => JSON.stringify(r)).sort()]));
}

function union(a: IndexRows, b: IndexRows): IndexRows {
  const out = { ...a } as Record<string, unknown>;
  for (const t of ROW_TABLES) out[t] = [...(a[t] as readonly unknown[]), ...(b[t] as readonly unknown[])];
  out.text = b.text;
  return out as unknown as IndexRows;
}

/** What the write engine does to a body before storing it (engine.ts, planVersion). */
function storedForm(body: Resource, mapping: Map<string, string>): Resource {
  return stamp(labelSensitive({ ...rewriteReferences(body, mapping), id: 'stored-id' } as Resource), 'stored-id', 3, '2026-12-03T12:00:00.000Z');
}

describe('search index in two parts', () => {
  const bundle = JSON.parse(readFileSync(new URL('../../../test/fixtures/documents/ips-CA-Bundle1Example.json', import.meta.url), 'utf8')) as Bundle;
  const resources = (bundle.entry ?? []).map((e) => e.resource as Resource);
  const mapping = new Map((bundle.entry ?? []).map((e, i) => [e.fullUrl as string, `${e.resource?.resourceType}/r${i}`]));

  test('stable rows of the body as sent + volatile rows of the stored version = all rows of the stored version', () => {
    assert.ok(resources.length > 5);
    for (const body of resources) {
      const stored = storedForm(body, mapping);
      const parts = union(extractIndex(body, BASE, 'stable'), extractIndex(stored, BASE, 'volatile'));
      const all = extractIndex(stored, BASE);
      assert.deepEqual(multiset(parts), multiset(all), body.resourceType);
      assert.deepEqual(parts.text, all.text);
      assert.equal(extractIndex(body, BASE, 'stable').text, undefined, 'the full text reads meta: it is volatile');
    }
  });

  test('a mapping that would rewrite a string outside references is detected (the engine then indexes all inline)', () => {
    const body = { resourceType: 'Patient', identifier: [{ system: 'urn:ietf:rfc:3986', value: 'urn:uuid:1' }], generalPractitioner: [{ reference: 'urn:uuid:2' }] };
    assert.equal(rewritesOutsideReferences(body, new Map([['urn:uuid:2', 'Practitioner/p']])), false);
    assert.equal(rewritesOutsideReferences(body, new Map([['urn:uuid:1', 'Patient/p']])), true);
    assert.equal(rewritesOutsideReferences(body, new Map()), false);
  });

  test('array literals are what node-postgres sends for a JS array; literals join', async () => {
    const values = ['a', 'with "quotes"', 'back\\slash', '', null, 'NULL', '{braces},comma', 12, 1.5e-7, 'é ü 中'];
    // @ts-expect-error pg's internal serializer has no types
    const pgUtils = (await import('pg/lib/utils.js')) as { default: { prepareValue: (v: unknown) => unknown } };
    assert.equal(arrayLiteral(values), pgUtils.default.prepareValue(values));
    assert.equal(joinLiterals(['{"a"}', '{}', '{"b",NULL}']), '{"a","b",NULL}');
    assert.equal(joinLiterals(['{"x"}']), '{"x"}');
    const serialized = serializeIndex(extractIndex(resources[0] as Resource, BASE, 'stable'));
    assert.ok(serialized.tables.every((t) => t.count > 0 && t.columns.every((c) => c.startsWith('{') && c.endsWith('}'))));
  });
});
