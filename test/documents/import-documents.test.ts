import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { importPaths } from '../../src/import/runner.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/** `carnet import` of received documents: a FHIR document Bundle and a C-CDA `.xml` are filed as documents, idempotently. */
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/documents/', import.meta.url));

describe('carnet import of documents', () => {
  let t: TestCarnet;
  let dir: string;
  before(async () => {
    t = await startTestCarnet();
    dir = mkdtempSync(join(tmpdir(), 'carnet-documents-'));
    for (const f of ['ips-bundle-minimal.json', 'Operative_Note.xml']) copyFileSync(join(FIXTURES, f), join(dir, f));
  });
  after(() => t.close());

  test('an IPS document and a C-CDA are filed with their DocumentReference; importing again writes nothing', async () => {
    const first = await importPaths(t.carnet.ctx, [dir]);
    assert.equal(first.failedFiles, 0, JSON.stringify(first.failures));
    assert.equal(first.filesDone, 2);
    assert.ok(first.created > 20, `${first.created} created`);
    const refs = (await t.carnet.db.query<{ n: number }>("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'DocumentReference'")).rows[0]?.n;
    assert.equal(refs, 2);
    const versions = async () => Number((await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource_version')).rows[0]?.n);
    const before = await versions();
    const again = await importPaths(t.carnet.ctx, [dir]);
    assert.equal(again.failedFiles, 0);
    assert.equal(again.created, 0);
    assert.equal(await versions(), before);
  });
});
