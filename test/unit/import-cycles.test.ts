import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importCycles, importGraph } from '../support/import-graph.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
// The TypeScript sources (this file runs from dist/test/unit/): type-only imports count for layering.
const TS_SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

/** Every module under src/ that `dir` imports, type-only imports included (paths relative to src/). */
function sourceImports(dir: string): { from: string; to: string }[] {
  const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : []);
  return files(join(TS_SRC, dir)).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^'";]*?\bfrom\s+['"](\.[^'"]+)['"]/gm)]
      .map((m) => ({ from: relative(TS_SRC, file), to: relative(TS_SRC, resolve(dirname(file), m[1] as string)) })));
}

describe('module structure', () => {
  test('the cycle finder finds cycles (and not acyclic imports)', () => {
    const graph = new Map([['a.js', ['b.js']], ['b.js', ['c.js']], ['c.js', ['a.js']], ['d.js', ['a.js', 'd.js']], ['e.js', ['a.js']]]);
    assert.deepEqual(importCycles(graph), [['a.js', 'b.js', 'c.js'], ['d.js']]);
  });

  test('no runtime import cycle under src/', () => {
    const graph = importGraph(SRC);
    // The parser sees the imports (a parser finding none would find no cycle either).
    assert.ok(graph.size > 100);
    assert.ok(graph.get('fhir/router/router.js')?.includes('fhir/router/routes.js'));
    assert.ok(graph.get('config/config.js')?.includes('hl7v2/config.js'));
    assert.deepEqual(importCycles(graph), []);
  });

  test('storage/ imports nothing from fhir/ (not even types): what storage and search share lives in storage/sql/', () => {
    const imports = sourceImports('storage');
    assert.ok(imports.some((i) => i.to === 'storage/sql/builder.js'), 'the scanner sees the imports');
    assert.deepEqual(imports.filter((i) => i.to.startsWith('fhir/')), []);
  });

  test('modules once in a cycle can be imported first in a fresh process', () => {
    for (const module of ['fhir/interactions/capabilities.js', 'fhir/interactions/bundle.js', 'hl7v2/config.js']) {
      const url = new URL(module, new URL('../../src/', import.meta.url)).href;
      execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(url)});`], { stdio: 'pipe' });
    }
  });
});
