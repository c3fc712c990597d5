import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importCycles, importGraph } from '../support/import-graph.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

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

  test('modules once in a cycle can be imported first in a fresh process', () => {
    for (const module of ['fhir/interactions/capabilities.js', 'fhir/interactions/bundle.js', 'hl7v2/config.js']) {
      const url = new URL(module, new URL('../../src/', import.meta.url)).href;
      execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(url)});`], { stdio: 'pipe' });
    }
  });
});
