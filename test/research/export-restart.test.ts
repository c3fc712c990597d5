import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createTestSchema, TEST_BOOTSTRAP, usingPostgres } from '../support/harness.js';
import { spawnReady } from '../support/children.js';

/**
 * kill -9 in the middle of a bulk export: a new process resumes the export from its last checkpoint and
 * the manifest still lists every resource exactly once, in whole lines. On PGlite the second process
 * opens the same data directory after the first died; on PostgreSQL it shares the database.
 */
const child = resolve(dirname(fileURLToPath(import.meta.url)), 'export-child.js');
const PORT = 19000 + (usingPostgres ? 1 : 0) + Math.floor(Math.random() * 20) * 2;

describe('bulk export across a kill -9', () => {
  let work: string;
  let schema: { url: string; drop: () => Promise<void> } | undefined;
  const children = new Set<ChildProcess>();
  const origin = `http://127.0.0.1:${PORT}`;

  const start = async (): Promise<ChildProcess> => spawnReady(child, {
    ...process.env, CARNET_TEST_CHILD: '1', PORT: String(PORT), CARNET_BASE_URL: origin, LOG_LEVEL: 'warn', CARNET_MLLP_PORT: 'off',
    CARNET_BACKGROUND: 'on', CARNET_BACKGROUND_POLL_MS: '100', CARNET_DEMO: 'off', CARNET_SECRET: 'a-test-secret-that-is-long-enough-0123456789',
    CARNET_BOOTSTRAP_CLIENT_ID: TEST_BOOTSTRAP.id, CARNET_BOOTSTRAP_CLIENT_SECRET: TEST_BOOTSTRAP.secret,
    CARNET_EXPORT_DIR: join(work, 'exports'), CARNET_EXPORT_PAGE_SIZE: '5', CARNET_EXPORT_FILE_RESOURCES: '25',
    CARNET_EXPORT_PAGE_PAUSE_MS: '60', CARNET_EXPORT_LEASE_MS: '1500', CARNET_MPI: 'off', CARNET_RESEARCH_K: '2',
    ...(schema ? { DATABASE_URL: schema.url, CARNET_DB_POOL_SIZE: '4' } : { DATABASE_URL: '', CARNET_DATA_DIR: join(work, 'pglite') }),
  }, children);
  const token = async (): Promise<string> => {
    const r = await fetch(`${origin}/auth/token`, {
      method: 'POST', body: 'grant_type=client_credentials&scope=system/*.cruds',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${TEST_BOOTSTRAP.id}:${TEST_BOOTSTRAP.secret}`).toString('base64')}` },
    });
    assert.equal(r.status, 200);
    return ((await r.json()) as { access_token: string }).access_token;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'carnet-export-restart-'));
    if (usingPostgres) schema = await createTestSchema('carnet_export');
  });
  after(async () => {
    for (const proc of children) proc.kill('SIGKILL');
    await schema?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  /** Loads 4 patients × 30 observations, starts an export, kills the process mid-way, resumes in a new one. */
  const exportAcrossKill = async (query: string) => {
    let proc = await start();
    let bearer = await token();
    const entries = [];
    for (let p = 0; p < 4; p++) {
      entries.push({ resource: { resourceType: 'Patient', id: `rp${p}`, name: [{ family: `R${p}` }] }, request: { method: 'PUT', url: `Patient/rp${p}` } });
      for (let o = 0; o < 30; o++) {
        entries.push({ resource: { resourceType: 'Observation', id: `rp${p}-o${o}`, status: 'final', code: { text: 'x' }, subject: { reference: `Patient/rp${p}` } }, request: { method: 'PUT', url: `Observation/rp${p}-o${o}` } });
      }
    }
    const loaded = await fetch(`${origin}/fhir`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries }) });
    assert.equal(loaded.status, 200, await loaded.text());
    const kick = await fetch(`${origin}/fhir/$export${query}`, { headers: { authorization: `Bearer ${bearer}`, accept: 'application/fhir+json', prefer: 'respond-async' } });
    assert.equal(kick.status, 202, await kick.text());
    const status = kick.headers.get('content-location') as string;
    // Kill the process once part of the export is written.
    for (let i = 0; ; i++) {
      const r = await fetch(status, { headers: { authorization: `Bearer ${bearer}` } });
      assert.equal(r.status, 202, 'the export must still run when it is killed');
      const done = Number(/^(\d+) resources/.exec(r.headers.get('x-progress') ?? '')?.[1] ?? 0);
      if (done >= 30) break;
      assert.ok(i < 400, 'the export never progressed');
      await new Promise((r2) => setTimeout(r2, 25));
    }
    const died = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await died;
    proc = await start();
    bearer = await token();
    let manifest: { output: { type: string; url: string; count: number }[]; extension?: Record<string, any> } | undefined;
    for (let i = 0; i < 600 && !manifest; i++) {
      const r = await fetch(status, { headers: { authorization: `Bearer ${bearer}` } });
      if (r.status === 200) manifest = (await r.json()) as typeof manifest;
      else {
        assert.equal(r.status, 202, await r.text());
        await new Promise((r2) => setTimeout(r2, 100));
      }
    }
    assert.ok(manifest, 'the export completed after the restart');
    const seen: string[] = [];
    const resources: { resourceType: string; id: string; [k: string]: any }[] = [];
    for (const file of manifest.output) {
      const text = await (await fetch(file.url, { headers: { authorization: `Bearer ${bearer}` } })).text();
      const lines = text.split('\n');
      assert.equal(lines.pop(), '', 'a file ends with a whole line');
      assert.equal(lines.length, file.count);
      for (const line of lines) {
        const resource = JSON.parse(line) as { resourceType: string; id: string };
        seen.push(`${resource.resourceType}/${resource.id}`);
        resources.push(resource);
      }
    }
    assert.equal(seen.length, 4 + 120);
    assert.equal(new Set(seen).size, seen.length, 'no resource twice');
    assert.equal(manifest.output.filter((o) => o.type === 'Observation').length, Math.ceil(120 / 25));
    const stopped = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await stopped;
    return { manifest, resources };
  };

  test('the export resumes in the next process and its manifest is exact', { timeout: 120_000 }, async () => {
    await exportAcrossKill('?_type=Patient,Observation');
  });

  test('a de-identified export resumes with the same keys and plan, and its report counts every line once', { timeout: 120_000 }, async () => {
    const { manifest, resources } = await exportAcrossKill('?_type=Patient,Observation&_profile=de-identified');
    const patients = new Set(resources.filter((r) => r.resourceType === 'Patient').map((r) => r.id));
    assert.equal(patients.size, 4);
    assert.ok(resources.every((r) => r.resourceType === 'Patient' || patients.has(r.subject.reference.slice('Patient/'.length))), 'pseudonyms made before and after the kill agree');
    assert.ok(!resources.some((r) => /rp\d/.test(JSON.stringify(r))), 'no source id or name');
    const report = manifest.extension?.['urn:carnet:export:release-report'];
    assert.equal(report.resources, 124, 'the report counts each line once across the restart');
    assert.equal(report.pseudonymised.ids, 124);
    assert.equal(report.kAnonymity.persons, 4);
  });
});
