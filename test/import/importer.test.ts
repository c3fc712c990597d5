import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { Bundle } from '@medplum/fhirtypes';
import { DEMO_DIR } from '../../src/demo/seed.js';
import { collectReferences, parseLocalReference } from '../../src/fhir/references.js';
import { importPaths } from '../../src/import/runner.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

const bundles = readdirSync(DEMO_DIR).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(DEMO_DIR, f), 'utf8')) as Bundle);

function expectedCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  const directory = new Set<string>();
  for (const bundle of bundles) {
    for (const { resource } of bundle.entry ?? []) {
      if (!resource) continue;
      if (resource.resourceType === 'Organization' || resource.resourceType === 'Practitioner') {
        const id = (resource as { identifier?: { system?: string; value?: string }[] }).identifier?.[0];
        const key = `${resource.resourceType}|${id?.system}|${id?.value}`;
        if (directory.has(key)) continue;
        directory.add(key);
      }
      counts.set(resource.resourceType, (counts.get(resource.resourceType) ?? 0) + 1);
    }
  }
  // The MPI gives each source Patient a Person (the demo patients are four different people).
  counts.set('Person', counts.get('Patient') ?? 0);
  return counts;
}

describe('carnet import', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(() => t.close());

  const storedCounts = async () => {
    const { rows } = await t.carnet.db.query<{ resource_type: string; n: number }>(
      'SELECT resource_type, count(*)::int AS n FROM resource WHERE NOT deleted GROUP BY resource_type',
    );
    return new Map(rows.map((r) => [r.resource_type, Number(r.n)]));
  };
  const versionCount = async () => Number((await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource_version')).rows[0]?.n);

  test('loads the Synthea bundles with every resource and every reference resolving', async () => {
    const summary = await importPaths(t.carnet.ctx, [DEMO_DIR]);
    assert.equal(summary.failedFiles, 0);
    assert.equal(summary.filesDone, bundles.length);
    assert.deepEqual(await storedCounts(), expectedCounts());
    const { rows } = await t.carnet.db.query<{ resource_type: string; id: string; content: string }>('SELECT resource_type, id, content FROM resource');
    const keys = new Set(rows.map((r) => `${r.resource_type}/${r.id}`));
    let references = 0;
    for (const row of rows) {
      for (const reference of collectReferences(JSON.parse(row.content))) {
        if (reference.startsWith('#')) continue;
        const local = parseLocalReference(reference, t.base);
        assert.ok(local, `${row.resource_type}/${row.id} has a non-local reference ${reference}`);
        assert.ok(keys.has(`${local.resourceType}/${local.id}`), `${reference} from ${row.resource_type}/${row.id} resolves`);
        references++;
      }
    }
    assert.ok(references > 1000);
    const { rows: observations } = await t.carnet.db.query<{ patient_id: string | null }>("SELECT patient_id FROM resource WHERE resource_type = 'Observation'");
    assert.ok(observations.every((o) => o.patient_id !== null), 'every Observation sits in a patient compartment');
  });

  test('importing again creates nothing and makes no new version', async () => {
    const before = await storedCounts();
    const versions = await versionCount();
    const summary = await importPaths(t.carnet.ctx, [DEMO_DIR]);
    assert.equal(summary.created, 0);
    assert.equal(summary.updated, 0);
    assert.equal(summary.failedFiles, 0);
    assert.deepEqual(await storedCounts(), before);
    assert.equal(await versionCount(), versions);
  });

  test('NDJSON (plain and gzip), a lone resource, and a broken file that does not stop the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carnet-import-'));
    const lines = Array.from({ length: 7 }, (_, i) => JSON.stringify({ resourceType: 'Practitioner', id: `nd-${i}`, name: [{ family: `Lévesque ${i}` }] }));
    writeFileSync(join(dir, 'a.ndjson'), `${lines.slice(0, 4).join('\n')}\n\n`);
    writeFileSync(join(dir, 'b.ndjson.gz'), gzipSync(lines.slice(4).join('\n')));
    writeFileSync(join(dir, 'c.json.gz'), gzipSync(JSON.stringify({ resourceType: 'Organization', id: 'gmf-1', name: 'GMF Saint-Roch' })));
    writeFileSync(join(dir, 'd.json'), '{ not json');
    writeFileSync(join(dir, 'e.ndjson'), `${JSON.stringify({ resourceType: 'Patient', gender: 'bogus' })}\n`);
    const summary = await importPaths(t.carnet.ctx, [dir]);
    assert.equal(summary.filesDone, 5);
    assert.equal(summary.failedFiles, 2);
    assert.deepEqual(summary.failures.map((f) => f.file.split('/').pop()), ['d.json', 'e.ndjson']);
    assert.match(summary.failures[1]?.message ?? '', /line 1/);
    const { rows } = await t.carnet.db.query("SELECT id FROM resource WHERE id LIKE 'nd-%' OR id = 'gmf-1'");
    assert.equal(rows.length, 8);
    const again = await importPaths(t.carnet.ctx, [dir]);
    assert.equal(again.created, 0);
  });
});
