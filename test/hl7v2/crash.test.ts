import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Bundle } from '@medplum/fhirtypes';
import { freePort, startServer, type ServerChild } from '../../bench/server.js';
import { oru } from './messages.js';
import { msa, RawMllpClient } from './mllp-client.js';
import { createTestSchema } from '../support/harness.js';

/**
 * `kill -9` in the middle of a burst: a real Carnet process (file-based PGlite, or a fresh PostgreSQL schema
 * when DATABASE_URL is set) is killed while messages are in flight, restarted on the same database, and
 * everything is sent again. Every message ACKed before the kill must be there (and get its same ACK);
 * nothing may be duplicated.
 */

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const MESSAGES = 40;
const KILL_AFTER_ACKS = 12;

async function databaseEnv(): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const dir = mkdtempSync(join(tmpdir(), 'carnet-crash-'));
    return { env: { CARNET_DATA_DIR: dir }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = await createTestSchema('carnet_crash');
  return { env: { DATABASE_URL: schema.url }, cleanup: schema.drop };
}

describe('crash safety', () => {
  let server: ServerChild | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  after(async () => {
    await server?.stop();
    await cleanup?.();
  });

  test('kill -9 mid-burst loses nothing that was acknowledged and duplicates nothing after restart', async () => {
    const db = await databaseEnv();
    cleanup = db.cleanup;
    const mllpPort = await freePort();
    const env = { ...db.env, CARNET_MLLP_PORT: String(mllpPort), CARNET_HL7_TIMEZONE: 'America/Toronto' };
    server = await startServer({ repoRoot, env });
    const messages = Array.from({ length: MESSAGES }, (_, i) => oru({ controlId: `K-${i}`, mrn: `K${i % 7}`, order: `KO-${i}`, results: 3 }));

    // Burst over two connections; the process is killed after a dozen ACKs, with messages still in flight.
    const acked = new Map<number, string>();
    const clients = await Promise.all([RawMllpClient.connect(mllpPort), RawMllpClient.connect(mllpPort)]);
    const victim = server;
    const burst = clients.map(async (client, c) => {
      for (let i = c; i < MESSAGES; i += 2) {
        let ack: string;
        try {
          ack = await client.send(messages[i] as string);
        } catch {
          return; // the connection died with the process
        }
        acked.set(i, ack);
        if (acked.size === KILL_AFTER_ACKS) process.kill(victim.pid, 'SIGKILL');
      }
    });
    await Promise.race([Promise.all(burst), new Promise((r) => setTimeout(r, 20_000).unref())]);
    for (const client of clients) client.close();
    await victim.stop();
    assert.ok(acked.size >= KILL_AFTER_ACKS && acked.size < MESSAGES, `killed mid-burst (${acked.size} of ${MESSAGES} acknowledged)`);
    for (const ack of acked.values()) assert.equal(msa(ack).code, 'AA');

    // Restart on the same database and send everything again, acknowledged or not.
    server = await startServer({ repoRoot, env });
    const client = await RawMllpClient.connect(mllpPort);
    for (const [i, text] of messages.entries()) {
      const ack = await client.send(text);
      assert.equal(msa(ack).code, 'AA', ack);
      const before = acked.get(i);
      if (before !== undefined) assert.equal(ack, before, `message ${i} was acknowledged before the kill: same ACK again`);
    }
    client.close();

    const count = async (query: string) => {
      const response = await fetch(`${server?.baseUrl}/fhir/${query}&_total=accurate&_count=1`, { headers: await server?.authorization() });
      return ((await response.json()) as Bundle).total;
    };
    assert.equal(await count('Provenance?'), MESSAGES, 'one Provenance per message');
    assert.equal(await count('DiagnosticReport?status=final'), MESSAGES, 'one report per message');
    assert.equal(await count('Observation?status=final'), MESSAGES * 3, 'three results per message, none twice');
    assert.equal(await count('Patient?active=true'), 7, 'one Patient per MRN');
    const versions = await fetch(`${server.baseUrl}/fhir/Observation/_history?_count=1000`, { headers: await server.authorization() });
    assert.equal(((await versions.json()) as Bundle).entry?.length, MESSAGES * 3, 'no second version of anything');
  });
});
