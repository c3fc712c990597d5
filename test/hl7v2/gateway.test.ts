import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import type { Binary, Bundle, Encounter, Observation, Patient, Provenance } from '@medplum/fhirtypes';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { adtA01, adtA40, oru } from './messages.js';
import { msa, RawMllpClient } from './mllp-client.js';

/** The gateway end to end: real MLLP over TCP, the HTTP route, a real database (PGlite, or PostgreSQL with DATABASE_URL). */

describe('HL7 v2 gateway over MLLP', () => {
  let t: TestCarnet;
  let port: number;

  before(async () => {
    t = await startTestCarnet({ env: { CARNET_HL7_TIMEZONE: 'America/Toronto' } });
    port = await t.carnet.mllp.listen(0, '127.0.0.1');
  });
  after(() => t.close());

  const search = async <T>(query: string): Promise<T[]> => {
    const response = await t.request('GET', `/fhir/${query}${query.includes('?') ? '&' : '?'}_count=1000`);
    assert.equal(response.status, 200, response.text);
    return ((response.body as Bundle).entry ?? []).map((e) => e.resource as T);
  };
  const observationsOf = (order: string) => search<Observation>(`Observation?identifier=${encodeURIComponent('urn:carnet:hl7v2:LIS:2.16.124.10.101.1.60.100:aa:LIS|')}`)
    .then((all) => all.filter((o) => o.identifier?.[0]?.value?.startsWith(`${order}/`)));

  test('an ORU over a third-party MLLP client (@medplum/hl7): AA after the results are stored, with Provenance and the original', async () => {
    const client = new Hl7Client({ host: '127.0.0.1', port });
    try {
      const ack = await client.sendAndWait(Hl7Message.parse(oru({ controlId: 'M-1', mrn: 'H1', order: 'A1' })));
      assert.equal(ack.getSegment('MSA')?.getField(1)?.toString(), 'AA');
      assert.equal(ack.getSegment('MSA')?.getField(2)?.toString(), 'M-1');
    } finally {
      await client.close();
    }
    const observations = await observationsOf('A1');
    assert.equal(observations.length, 10);
    assert.ok(observations.every((o) => o.meta?.versionId === '1' && o.status === 'final'));
    const [patient] = await search<Patient>(`Patient?identifier=${encodeURIComponent('urn:oid:2.16.124.10.101.1.60.100|H1')}`);
    assert.equal(observations[0]?.subject?.reference, `Patient/${patient?.id}`);
    const provenances = await search<Provenance>('Provenance');
    const provenance = provenances.find((p) => p.entity?.[0]?.what?.display === 'ORU^R01 M-1') as Provenance;
    assert.equal(provenance.target.length, 12, 'patient, 10 observations, report');
    assert.ok(provenance.target.every((r) => /\/_history\/1$/.test(r.reference ?? '')));
    const binary = (await t.request('GET', `/fhir/${provenance.entity?.[0]?.what?.reference}`)).body as Binary;
    assert.equal(binary.contentType, 'x-application/hl7-v2+er7');
    assert.equal(Buffer.from(binary.data ?? '', 'base64').toString('utf8'), oru({ controlId: 'M-1', mrn: 'H1', order: 'A1' }));
  });

  test('a re-sent message changes nothing and gets the very same ACK', async () => {
    const client = await RawMllpClient.connect(port);
    const first = await client.send(oru({ controlId: 'M-2', mrn: 'H2', order: 'A2' }));
    const provenances = (await search<Provenance>('Provenance')).length;
    const again = await client.send(oru({ controlId: 'M-2', mrn: 'H2', order: 'A2' }));
    client.close();
    assert.equal(again, first);
    const observations = await observationsOf('A2');
    assert.equal(observations.length, 10);
    assert.ok(observations.every((o) => o.meta?.versionId === '1'));
    assert.equal((await search<Provenance>('Provenance')).length, provenances);
  });

  test('a corrected result (OBX-11 = C) becomes a new version of the same Observation, never a duplicate', async () => {
    const client = await RawMllpClient.connect(port);
    assert.equal(msa(await client.send(oru({ controlId: 'M-3', mrn: 'H3', order: 'A3' }))).code, 'AA');
    const before = await observationsOf('A3');
    assert.equal(msa(await client.send(oru({ controlId: 'M-3C', mrn: 'H3', order: 'A3', status: 'C', shift: 1 }))).code, 'AA');
    client.close();
    const afterCorrection = await observationsOf('A3');
    assert.equal(afterCorrection.length, 10);
    assert.deepEqual(afterCorrection.map((o) => o.id).sort(), before.map((o) => o.id).sort());
    assert.ok(afterCorrection.every((o) => o.meta?.versionId === '2' && o.status === 'corrected'));
    const glucose = afterCorrection.find((o) => o.code.coding?.[0]?.code === '2345-7');
    assert.equal(glucose?.valueQuantity?.value, 11);
    const history = await t.request('GET', `/fhir/Observation/${glucose?.id}/_history`);
    assert.deepEqual((history.body as Bundle).entry?.map((e) => (e.resource as Observation).valueQuantity?.value), [11, 10]);
  });

  test('a control id reused for a different message is refused (AE 205) and changes nothing', async () => {
    const client = await RawMllpClient.connect(port);
    await client.send(oru({ controlId: 'M-4', mrn: 'H4', order: 'A4' }));
    const reused = msa(await client.send(oru({ controlId: 'M-4', mrn: 'H4', order: 'A4', shift: 5 })));
    client.close();
    assert.equal(reused.code, 'AE');
    assert.match(reused.segments.find((s) => s.startsWith('ERR')) ?? '', /^ERR\|\|MSH\^1\^10\^1\|205\^/);
    assert.ok((await observationsOf('A4')).every((o) => o.meta?.versionId === '1'));
  });

  test('ADT owns demographics; results refer to the same Patient; A40 is the MPI merge, undone by $unmerge', async () => {
    const client = await RawMllpClient.connect(port);
    assert.equal(msa(await client.send(adtA01('ADT-1', 'OLD-1', 'Tremblay'))).code, 'AA');
    assert.equal(msa(await client.send(adtA01('ADT-2', 'NEW-1', 'Tremblay-Roy'))).code, 'AA');
    assert.equal(msa(await client.send(oru({ controlId: 'M-5', mrn: 'OLD-1', order: 'A5', results: 2 }))).code, 'AA');
    const merge = msa(await client.send(adtA40('ADT-3', 'NEW-1', 'OLD-1')));
    assert.equal(merge.code, 'AA');
    assert.equal(msa(await client.send(oru({ controlId: 'M-6', mrn: 'OLD-1', order: 'A6', results: 2 }))).code, 'AA');
    client.close();
    const byMrn = async (mrn: string, active: boolean) =>
      (await search<Patient>(`Patient?identifier=${encodeURIComponent(`urn:oid:2.16.124.10.101.1.60.100|${mrn}`)}&active=${active}`))[0] as Patient;
    const merged = await byMrn('OLD-1', false);
    const survivor = await byMrn('NEW-1', true);
    assert.deepEqual(merged.link?.filter((l) => l.type === 'replaced-by'), [{ other: { reference: `Patient/${survivor.id}` }, type: 'replaced-by' }]);
    assert.ok(survivor.link?.some((l) => l.type === 'replaces' && l.other.reference === `Patient/${merged.id}`));
    assert.ok(survivor.identifier?.some((i) => i.value === 'OLD-1' && i.use === 'old'), 'the survivor answers to the merged identifier');
    assert.equal(survivor.name?.[0]?.family, 'Tremblay', 'the A40 PID describes the survivor');
    // PV1-19, the visit number, makes each A01 an Encounter of its Patient, admitted at PV1-44.
    const visit = (await search<Encounter>('Encounter?identifier=V-NEW-1'))[0] as Encounter;
    assert.equal(visit.subject?.reference, `Patient/${survivor.id}`);
    assert.equal(visit.status, 'in-progress');
    assert.match(visit.period?.start ?? '', /^2024-03-05T08:00:00/);
    assert.equal((await search<Encounter>('Encounter?identifier=V-OLD-1')).length, 1);
    assert.equal((await observationsOf('A5'))[0]?.subject?.reference, `Patient/${survivor.id}`, 'the merged record follows the survivor');
    assert.equal((await observationsOf('A6'))[0]?.subject?.reference, `Patient/${survivor.id}`);
    const decisions = await t.request('GET', `/fhir/$mpi-decisions?patient=${merged.id}`);
    assert.ok(JSON.stringify(decisions.body).includes('hl7v2:'), 'the merge is logged with the sender as actor');
    const unmerge = await t.request('POST', '/fhir/Patient/$unmerge', { body: { resourceType: 'Parameters', parameter: [
      { name: 'source-patient', valueReference: { reference: `Patient/${merged.id}` } }, { name: 'actor', valueString: 'archiviste' }, { name: 'reason', valueString: 'fusion erronée' },
    ] } });
    assert.equal(unmerge.status, 200, unmerge.text.slice(0, 300));
    assert.equal((await observationsOf('A5'))[0]?.subject?.reference, `Patient/${merged.id}`, 'unmerge restores the merged record');
  });

  test('frames pipelined on one connection are stored and answered in order', async () => {
    const client = await RawMllpClient.connect(port);
    const frames = Array.from({ length: 8 }, (_, i) => oru({ controlId: `P-${i}`, mrn: 'H7', order: 'A7', results: 1, shift: i, status: i === 0 ? 'F' : 'C' }));
    client.write(Buffer.concat(frames.map((f) => Buffer.concat([Buffer.from([0x0b]), Buffer.from(f), Buffer.from([0x1c, 0x0d])]))));
    const acks = [];
    for (let i = 0; i < frames.length; i++) acks.push(msa(await client.nextAck()));
    client.close();
    assert.deepEqual(acks.map((a) => a.controlId), frames.map((_, i) => `P-${i}`));
    const [observation] = await observationsOf('A7');
    assert.equal(observation?.meta?.versionId, '8');
    const history = await t.request('GET', `/fhir/Observation/${observation?.id}/_history`);
    assert.deepEqual((history.body as Bundle).entry?.map((e) => (e.resource as Observation).valueQuantity?.value), [17, 16, 15, 14, 13, 12, 11, 10]);
  });

  test('four concurrent connections: per patient, versions are recorded in the order the messages were acknowledged', async () => {
    const clients = await Promise.all([0, 1, 2, 3].map(() => RawMllpClient.connect(port)));
    const ackOrder = new Map<string, number[]>();
    await Promise.all(clients.map(async (client, c) => {
      for (let i = 0; i < 10; i++) {
        const patient = `C${i % 3}`;
        const shift = c * 100 + i;
        const ack = msa(await client.send(oru({ controlId: `C-${c}-${i}`, mrn: patient, order: `O-${patient}`, results: 1, shift, status: 'C' })));
        assert.equal(ack.code, 'AA');
        ackOrder.set(patient, [...(ackOrder.get(patient) ?? []), 10 + shift]);
      }
    }));
    for (const client of clients) client.close();
    for (const [patient, values] of ackOrder) {
      const [observation] = await observationsOf(`O-${patient}`);
      const history = await t.request('GET', `/fhir/Observation/${observation?.id}/_history?_count=100`);
      const recorded = ((history.body as Bundle).entry ?? []).map((e) => (e.resource as Observation).valueQuantity?.value).reverse();
      assert.deepEqual(recorded, values, `patient ${patient}`);
    }
  });

  test('framing garbage closes the connection; a cut frame stores nothing', async () => {
    const garbage = await RawMllpClient.connect(port);
    garbage.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    assert.equal(await garbage.whenClosed(), true);
    const cut = await RawMllpClient.connect(port);
    const text = oru({ controlId: 'CUT-1', mrn: 'H8', order: 'A8' });
    cut.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(text.slice(0, 200))]));
    cut.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await observationsOf('A8')).length, 0);
  });
});

describe('HL7 v2 gateway over HTTP, dead letters and replay', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_HL7_MAX_MESSAGE_BYTES: '4096', CARNET_HL7_TIMEZONE: 'America/Toronto' } });
  });
  after(() => t.close());

  const post = async (body: string | Buffer, contentType = 'x-application/hl7-v2+er7') =>
    t.carnet.server.inject({ method: 'POST', url: '/hl7v2', headers: { 'content-type': contentType, authorization: `Bearer ${await t.systemToken()}` }, payload: body });

  test('POST /hl7v2 answers the ACK: 200 AA, 400 AR, 413 too large, 415 for other media types', async () => {
    const ok = await post(oru({ controlId: 'H-1', mrn: 'H1', order: 'B1', results: 2 }), 'text/plain');
    assert.equal(ok.statusCode, 200);
    assert.match(ok.headers['content-type'] as string, /^x-application\/hl7-v2\+er7/);
    assert.equal(msa(ok.body).code, 'AA');
    const empty = await post('');
    assert.equal(empty.statusCode, 400);
    assert.equal(msa(empty.body).code, 'AR');
    const big = await post(oru({ controlId: 'H-2', mrn: 'H1', order: 'B2', results: 60 }));
    assert.equal(big.statusCode, 413);
    assert.equal(msa(big.body).code, 'AR');
    const json = await post('{}', 'application/json');
    assert.equal(json.statusCode, 415);
  });

  test('an unmappable message: AE naming the field, nothing written, kept as a dead letter that can be inspected', async () => {
    const bad = oru({ controlId: 'D-1', mrn: 'H9', order: 'B3', results: 2 }).replace('|N|||F|||202403050900-0500', '|N|||Q|||202403050900-0500');
    const response = await post(bad);
    assert.equal(response.statusCode, 422);
    const ack = msa(response.body);
    assert.equal(ack.code, 'AE');
    assert.match(ack.segments.find((s) => s.startsWith('ERR')) ?? '', /^ERR\|\|OBX\^1\^11\^1\|103\^Table value not found\^HL70357\|E/);
    const observations = await t.request('GET', '/fhir/Observation?_count=1000');
    const written = ((observations.body as Bundle).entry ?? []).filter((e) => (e.resource as Observation).identifier?.[0]?.value?.startsWith('B3/'));
    assert.equal(written.length, 0, 'nothing partial is written');
    const patients = await t.request('GET', `/fhir/Patient?identifier=${encodeURIComponent('urn:oid:2.16.124.10.101.1.60.100|H9')}`);
    assert.equal((patients.body as Bundle).entry?.length ?? 0, 0, 'not even the patient');
    const list = await t.request('GET', '/hl7v2/dead-letters');
    const [letter] = list.body.items;
    assert.equal(letter.controlId, 'D-1');
    assert.deepEqual(letter.errors[0], { code: '103', location: 'OBX[1]-11', reason: '"Q" is not a known value here (table observation-status)' });
    const detail = await t.request('GET', `/hl7v2/dead-letters/${letter.id}`);
    assert.equal(detail.body.message[0].slice(0, 3), 'MSH');
    assert.equal(response.headers['x-carnet-hl7-message'], letter.id);
    const resent = await post(bad);
    assert.equal(resent.statusCode, 422);
    assert.equal((await t.request('GET', `/hl7v2/dead-letters/${letter.id}`)).body.attempts, 2, 'a re-sent failure updates the same dead letter');
  });

  test('after a mapping fix (a sender table override), the dead letter is replayed and accepted', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'carnet-hl7-'));
    const senders = join(dir, 'senders.json');
    writeFileSync(senders, JSON.stringify({ senders: [{ application: 'LIS', tables: { 'observation-status': { Q: 'final' } } }] }));
    // A second Carnet on the same database, configured with the fix (as after a restart with the new file).
    const { createCarnet } = await import('../../src/app/app.js');
    const { loadConfig } = await import('../../src/config/config.js');
    const { pino } = await import('pino');
    const fixed = await createCarnet(loadConfig({ CARNET_BASE_URL: 'http://carnet.test', CARNET_HL7_SENDERS: senders, CARNET_HL7_TIMEZONE: 'America/Toronto' }), { db: t.carnet.db, log: pino({ level: 'silent' }) });
    const [letter] = (await t.request('GET', '/hl7v2/dead-letters')).body.items;
    const replay = await fixed.server.inject({ method: 'POST', url: `/hl7v2/dead-letters/${letter.id}/$replay`, headers: { authorization: `Bearer ${await t.systemToken()}` } });
    await fixed.server.close();
    assert.equal(replay.statusCode, 200);
    assert.equal(replay.json().outcome, 'accepted');
    assert.equal(replay.json().ackCode, 'AA');
    assert.equal((await t.request('GET', '/hl7v2/dead-letters')).body.items.length, 0);
    const row = (await t.request('GET', `/hl7v2/messages/${letter.id}`)).body;
    assert.equal(row.status, 'accepted');
    assert.ok(row.replayedAt);
    assert.equal(row.resources.length, 4);
    const again = await t.request('POST', `/hl7v2/dead-letters/${letter.id}/$replay`);
    assert.equal(again.status, 404, 'an accepted message is not a dead letter any more');
    const resent = await post(oru({ controlId: 'D-1', mrn: 'H9', order: 'B3', results: 2 }).replace('|N|||F|||202403050900-0500', '|N|||Q|||202403050900-0500'));
    assert.equal(msa(resent.body).code, 'AA', 'the sender re-sending it now gets the stored AA');
  });

  test('unsupported message types are answered AR and kept as dead letters (replayable once mapped)', async () => {
    const a09 = await post('MSH|^~\\&|ADT|CHUM|CARNET|QC|20240305||ADT^A09^ADT_A09|U-1|P|2.5.1\rPID|1||1^^^CHUM^MR\r');
    assert.equal(a09.statusCode, 400);
    assert.match(a09.body, /ERR\|\|MSH\^1\^9\^1\^2\|201\^/);
    const list = (await t.request('GET', '/hl7v2/dead-letters?type=ADT%5EA09')).body.items;
    assert.equal(list.length, 1);
  });
});
