import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as systems from '../../src/fhir/code-systems.js';

// The TypeScript sources (this file runs from dist/test/unit/).
const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));
const MODULE = 'fhir/code-systems.ts';

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Where `uri` is written as a string literal (or starts one: `'http://loinc.org|1234-5'`, `` `…${x}` ``). */
function literalsOf(source: string, uri: string): number {
  let count = 0;
  for (const quote of ["'", '"', '`']) {
    let at = source.indexOf(quote + uri);
    while (at >= 0) {
      const next = source[at + 1 + uri.length];
      if (next === quote || next === '|' || (quote === '`' && next === '$')) count++;
      at = source.indexOf(quote + uri, at + 1);
    }
  }
  return count;
}

describe('code-system URIs live in one module', () => {
  const uris: [string, string][] = Object.entries(systems as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string');
  const files = tsFiles(SRC).map((file) => ({ name: relative(SRC, file), source: readFileSync(file, 'utf8') }));

  test('the scanner finds literals (and not longer URIs or mentions)', () => {
    assert.equal(literalsOf(`const a = 'http://loinc.org'; const b = "http://loinc.org|1-8";`, 'http://loinc.org'), 2);
    assert.equal(literalsOf('const c = `http://loinc.org${x}`;', 'http://loinc.org'), 1);
    assert.equal(literalsOf(`'http://loinc.org/extra' // http://loinc.org`, 'http://loinc.org'), 0);
    assert.ok(files.length > 100 && files.some((f) => f.name === MODULE));
    assert.ok(uris.length > 50);
  });

  test('no module under src/ other than fhir/code-systems.ts writes one of its URIs as a literal', () => {
    const found = files.filter((f) => f.name !== MODULE).flatMap((f) =>
      uris.filter(([, uri]) => literalsOf(f.source, uri) > 0).map(([name, uri]) => `${f.name}: ${name} (${uri})`));
    assert.deepEqual(found, []);
  });

  test('LOINC and UCUM appear nowhere else under src/, not even in comments', () => {
    const found = files.filter((f) => f.name !== MODULE && /http:\/\/(loinc|unitsofmeasure)\.org/.test(f.source)).map((f) => f.name);
    assert.deepEqual(found, []);
  });

  test('every URI is defined once', () => {
    const values = uris.map(([, uri]) => uri);
    assert.deepEqual(values.filter((v, i) => values.indexOf(v) !== i), []);
  });
});
