import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../bench/server.js';
import { createTestSchema, TEST_BOOTSTRAP } from '../support/harness.js';

/**
 * CARNET_WORKERS=2 on PostgreSQL: two API processes share the port and one database. Runs when the suite
 * runs on PostgreSQL (DATABASE_URL); the embedded database cannot be shared by processes.
 */
const url = process.env.DATABASE_URL;

/** The cluster workers that have logged that they listen. */
function listeningWorkers(output: string): Set<string> {
  return new Set([...output.matchAll(/"worker":(\d+)[^\n]*listening at/g)].map((m) => m[1]));
}

describe('several API processes', { skip: url ? false : 'needs DATABASE_URL (PostgreSQL)' }, () => {
  let schema: { url: string; drop: () => Promise<void> } | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  let base = '';
  let output = '';

  before(async () => {
    schema = await createTestSchema('carnet_workers');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [resolve('dist/src/cli/carnet.js'), 'serve'], {
      env: {
        ...process.env, DATABASE_URL: schema.url, CARNET_WORKERS: '2', PORT: String(port), HOST: '127.0.0.1', CARNET_BASE_URL: base, CARNET_MLLP_PORT: 'off', LOG_LEVEL: 'info',
        CARNET_BOOTSTRAP_CLIENT_ID: TEST_BOOTSTRAP.id, CARNET_BOOTSTRAP_CLIENT_SECRET: TEST_BOOTSTRAP.secret,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`${base}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // /healthz answers once the first process listens; each process warms its validation worker before it
    // listens, so wait until both say they listen, or the parallel requests below all reach the first one.
    for (let i = 0; i < 600 && listeningWorkers(output).size < 2; i++) await new Promise((r) => setTimeout(r, 100));
  });
  after(async () => {
    child?.kill('SIGTERM');
    await new Promise((r) => child?.once('exit', r));
    await schema?.drop();
  });

  test('two processes serve one record: writes in one are read in the other', async () => {
    const tokenResponse = await fetch(`${base}/auth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${TEST_BOOTSTRAP.id}:${TEST_BOOTSTRAP.secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials&scope=system%2F*.cruds',
    });
    assert.equal(tokenResponse.status, 200, 'a token issued by one process is accepted by the other');
    const headers = { authorization: `Bearer ${((await tokenResponse.json()) as { access_token: string }).access_token}` };
    const children = execFileSync('pgrep', ['-P', String(child?.pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    assert.equal(children.length, 2);
    const ids = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const r = await fetch(`${base}/fhir/Patient`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', ...headers }, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: `Travailleur${i}` }] }) });
      assert.equal(r.status, 201);
      return ((await r.json()) as { id: string }).id;
    }));
    for (const id of ids) assert.equal((await fetch(`${base}/fhir/Patient/${id}`, { headers })).status, 200);
    const search = (await (await fetch(`${base}/fhir/Patient?family=travailleur&_summary=count`, { headers })).json()) as { total: number };
    assert.equal(search.total, 20);
    // Both processes started, listen, and took part (the parallel requests came on several connections).
    const workers = new Set([...output.matchAll(/"worker":(\d+)[^\n]*"msg":"request"/g)].map((m) => m[1]));
    assert.equal(workers.size, 2, `requests served by workers ${[...workers].join(', ')}\n${output.slice(0, 2000)}`);
    assert.doesNotMatch(output, /duplicate key|an API process stopped/, 'no process failed at startup');
  });
});
