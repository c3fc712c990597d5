import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

/**
 * The browser apps' catalogues (web/src/i18n): both languages have exactly the same keys, no string is
 * empty, and every key the code names (t('…')) exists. A missing translation fails here, not in front of
 * a person.
 */
const WEB = fileURLToPath(new URL('../../../web/src/', import.meta.url));
type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

const catalogue = (lang: string) => flatten(JSON.parse(readFileSync(join(WEB, 'i18n', `${lang}.json`), 'utf8')) as Tree);

describe('web catalogues', () => {
  const fr = catalogue('fr');
  const en = catalogue('en');

  test('French and English have the same keys, none empty, the same placeholders', () => {
    assert.deepEqual([...fr.keys()].filter((k) => !en.has(k)), [], 'keys missing in English');
    assert.deepEqual([...en.keys()].filter((k) => !fr.has(k)), [], 'keys missing in French');
    for (const [key, text] of [...fr, ...en]) assert.ok(text.trim().length > 0, `${key} is empty`);
    const holes = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of fr) assert.deepEqual(holes(text), holes(en.get(key) ?? ''), `${key}: placeholders differ`);
  });

  test('every key the code uses exists (literal t(\'…\') calls and template keys with a known prefix)', () => {
    const used = new Set<string>();
    const templates: string[] = [];
    for (const file of sources(WEB)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g)) used.add(m[1] as string);
      for (const m of text.matchAll(/'((?:common|landing|clinic|portal)\.[a-zA-Z0-9_.-]+)'/g)) used.add(m[1] as string);
      for (const m of text.matchAll(/\bt\(\s*`([a-zA-Z0-9_.-]+)\.\$\{/g)) templates.push(m[1] as string);
    }
    assert.ok(used.size > 20, `the scan found the keys (${used.size})`);
    // A plural key is the family key_one, key_other (i18next's plural forms).
    const has = (catalogue: Map<string, string>, key: string) => catalogue.has(key) || (catalogue.has(`${key}_one`) && catalogue.has(`${key}_other`));
    for (const key of used) {
      assert.ok(has(fr, key), `${key} is used in web/src but missing from fr.json`);
      assert.ok(has(en, key), `${key} is used in web/src but missing from en.json`);
    }
    for (const prefix of templates) assert.ok([...fr.keys()].some((k) => k.startsWith(`${prefix}.`)), `no keys under ${prefix}`);
  });
});
