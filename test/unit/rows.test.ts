import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SqlBuilder } from '../../src/storage/sql/builder.js';
import { bool, boolOrNull, date, dateOrNull, int, intOrNull, iso, isoOf, isoOrNull, json, jsonOrNull, num, numOrNull, text, textOrNull, texts } from '../../src/storage/sql/rows.js';

describe('row readers (storage/sql/rows.ts)', () => {
  const at = new Date('2026-03-05T14:00:00.123Z');
  // What node-postgres hands back (bigint and numeric as strings) and what PGlite does (numbers).
  const pg = { id: '9007199254740991', n: '42', t: 'x', at, j: { a: 1 }, s: '{"b":2}', ok: true, arr: ['a', 'b'], none: null };
  const pglite = { id: 9007199254740991, n: 42, t: 'x', at, j: { a: 1 }, s: '{"b":2}', ok: true, arr: ['a', 'b'], none: null };

  test('read the same values from either driver', () => {
    for (const row of [pg, pglite]) {
      assert.equal(int(row, 'id'), Number.MAX_SAFE_INTEGER);
      assert.equal(int(row, 'n'), 42);
      assert.equal(text(row, 't'), 'x');
      assert.equal(iso(row, 'at'), '2026-03-05T14:00:00.123Z');
      assert.deepEqual(date(row, 'at'), at);
      assert.deepEqual(json(row, 'j'), { a: 1 });
      assert.deepEqual(json(row, 's'), { b: 2 });
      assert.equal(bool(row, 'ok'), true);
      assert.deepEqual(texts(row, 'arr'), ['a', 'b']);
    }
    assert.equal(iso({ at: '2026-03-05 09:00:00.5-05' }, 'at'), '2026-03-05T14:00:00.500Z');
    assert.equal(isoOf('2026-03-05T14:00:00Z'), '2026-03-05T14:00:00.000Z');
    assert.equal(bool({ f: false }, 'f'), false);
  });

  test('nullable readers give null for NULL and missing columns; the others throw', () => {
    const row = { none: null };
    for (const read of [textOrNull, intOrNull, numOrNull, boolOrNull, isoOrNull, dateOrNull, jsonOrNull]) {
      assert.equal(read(row, 'none'), null);
      assert.equal(read(row, 'absent'), null);
    }
    assert.deepEqual(texts(row, 'none'), []);
    for (const read of [text, int, iso, date, json, bool]) {
      assert.throws(() => read(row, 'none'), /"none" is NULL/);
      assert.throws(() => read(row, 'absent'), /"absent" is missing/);
    }
    assert.throws(() => int({ n: 'abc' }, 'n'), /not a number/);
    assert.equal(intOrNull({ n: '7' }, 'n'), 7);
    assert.equal(numOrNull({ w: '-2.5' }, 'w'), -2.5);
    assert.equal(num({ w: 0.125 }, 'w'), 0.125);
  });
});

describe('WHERE clauses from the SQL builder', () => {
  test('binds every value, in order, and leaves out the conditions not asked for', () => {
    const b = new SqlBuilder();
    const state: string | undefined = undefined;
    const where = b.where(b.eq('kind', 'export'), state !== undefined && b.eq('state', state), b.any('id', [1, 2], 'bigint'), "state <> 'dead'");
    assert.equal(where, "WHERE (kind = $1) AND (id = ANY($2::bigint[])) AND (state <> 'dead')");
    assert.deepEqual(b.params, ['export', [1, 2]]);
  });

  test('no condition: no WHERE; one condition: no parentheses; and() nests', () => {
    const b = new SqlBuilder();
    assert.equal(b.where(undefined, false, null, ''), '');
    assert.equal(b.where(b.eq('name', "o'neil")), 'WHERE name = $1');
    assert.equal(b.and(), 'true');
    assert.equal(b.where(b.and(b.eq('a', 1), b.eq('b', 2)), 'c IS NULL'), 'WHERE ((a = $2) AND (b = $3)) AND (c IS NULL)');
    assert.deepEqual(b.params, ["o'neil", 1, 2]);
  });
});
