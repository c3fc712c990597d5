import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toDate, toDateTime, toInstant } from '../../src/hl7v2/datatypes/dates.js';
import { frame, MllpDecoder } from '../../src/hl7v2/listen/mllp-framing.js';
import { buildAck } from '../../src/hl7v2/message/ack.js';
import { readEnvelope } from '../../src/hl7v2/message/envelope.js';
import { Hl7Problem } from '../../src/hl7v2/message/problems.js';
import { message, parse } from './support.js';

/** The pure edges of the gateway: envelope checks, ACK building, MLLP framing, HL7 dates. */

const rules = { processingIds: new Set(['P', 'T']) };
const MSH = 'MSH|^~\\&|LIS|CHUM|CARNET|QC|20240305101500-0500||ORU^R01^ORU_R01|LAB-1|P|2.5.1';
const at = { segment: 'X', sequence: 1 };

function rejection(bytes: Buffer) {
  const result = readEnvelope(bytes, rules);
  assert.equal(result.ok, false);
  if (result.ok) throw new Error('unreachable');
  return result.problem;
}

describe('envelope', () => {
  test('reads sender, control id, type, version; the body hash ignores MSH', () => {
    const a = parse(message(MSH, 'PID|1||1^^^H^MR'));
    const b = parse(message(MSH.replace('20240305101500', '20240306000000'), 'PID|1||1^^^H^MR'));
    assert.deepEqual(a.envelope.sender, { application: 'LIS', facility: 'CHUM', key: 'LIS:CHUM' });
    assert.equal(a.envelope.controlId, 'LAB-1');
    assert.equal(a.envelope.typeCode, 'ORU^R01');
    assert.equal(a.bodyHash, b.bodyHash, 'a re-sent message with a new MSH-7 is the same message');
  });

  test('every kind of bad envelope is an AR naming the field', () => {
    const cases: [Buffer, string, string][] = [
      [Buffer.alloc(0), '100', 'message'],
      [Buffer.from('\r\n  \r'), '100', 'message'],
      [message('junk', MSH), '100', 'MSH[1]'],
      [message('FHS|^~\\&|LIS', 'BHS|^~\\&|LIS', MSH), '100', 'FHS[1]'],
      [message(MSH, 'PID|1', MSH), '100', 'MSH[2]'],
      [message(MSH.replace('^~\\&', '^^\\&')), '102', 'MSH[1]-2'],
      [message(MSH.replace('^~\\&', 'A~\\&')), '102', 'MSH[1]-1'],
      [message(MSH.replace('^~\\&', '^~')), '102', 'MSH[1]-2'],
      [message(MSH.replace('|LAB-1|', '||')), '101', 'MSH[1]-10'],
      [message(MSH.replace('ORU^R01^ORU_R01', '')), '101', 'MSH[1]-9.1'],
      [message(MSH.replace('ORU^R01^ORU_R01', 'ORU')), '101', 'MSH[1]-9.2'],
      [message(MSH.replace('|P|', '||')), '101', 'MSH[1]-11'],
      [message(MSH.replace('|P|', '|D|')), '202', 'MSH[1]-11'],
      [message(MSH.replace('|2.5.1', '|')), '101', 'MSH[1]-12'],
      [message(MSH.replace('|2.5.1', '|3.0')), '203', 'MSH[1]-12'],
      [message(MSH.replace('20240305101500-0500', '20240230')), '102', 'MSH[1]-7'],
      [message(MSH.replace('|LIS|CHUM|', '|||')), '101', 'MSH[1]-3'],
      [message(MSH, 'PID|1\u0000'), '102', 'PID[2]'],
      [message(MSH, 'not a segment'), '100', 'not[2]'],
    ];
    for (const [bytes, code, where] of cases) {
      const p = rejection(bytes);
      assert.equal(p.ack, 'AR', where);
      assert.equal(p.code, code, `${where}: ${p.message}`);
      assert.ok(p.message.startsWith(where), `${p.message} should name ${where}`);
    }
  });

  test('character sets: UTF-8 by default, Latin-1 when MSH-18 says 8859/1, invalid bytes refused', () => {
    const latin = Buffer.concat([Buffer.from(`${MSH}||||||8859/1\rPID|1||1^^^H^MR||`, 'latin1'), Buffer.from([0x4c, 0xe9, 0x61]), Buffer.from('\r')]);
    const parsed = parse(latin);
    assert.equal(parsed.segments[1]?.get(5), 'Léa');
    const invalid = Buffer.concat([Buffer.from(`${MSH}\rPID|1||1^^^H^MR||`), Buffer.from([0xff, 0xfe]), Buffer.from('\r')]);
    const p = rejection(invalid);
    assert.equal(p.code, '102');
    assert.match(p.message, /not valid UTF-8.*offset/);
    assert.equal(rejection(Buffer.from(`${MSH}||||||KOI8-R\r`)).code, '102');
  });

  test('exotic but valid separators are read (MSH^~|\\&: field separator ^)', () => {
    const parsed = parse(message('MSH^~|\\&^LIS^CHUM^CARNET^QC^20240305^^ADT~A01^C-1^P^2.4', 'PID^1^^123~~~H~MR'));
    assert.equal(parsed.envelope.typeCode, 'ADT^A01');
    assert.equal(parsed.segments[1]?.rep(3)?.c(4), 'H');
  });
});

describe('ACK', () => {
  const original = parse(message(MSH, 'PID|1')).message;
  const now = new Date('2024-03-05T15:00:00Z');

  test('AA echoes the control id and swaps sender and receiver', () => {
    const ack = buildAck({ original, code: 'AA', ackControlId: 'A1', now }).split('\r');
    assert.equal(ack[0], 'MSH|^~\\&|CARNET|QC|LIS|CHUM|20240305150000+0000||ACK^R01^ACK|A1|P|2.5.1');
    assert.equal(ack[1], 'MSA|AA|LAB-1|Message accepted');
  });

  test('AE carries one ERR per problem: location, HL7 table 0357 code, severity, escaped text', () => {
    const problem = new Hl7Problem('102', 'value "a|b" is not a number', { segment: 'OBX', sequence: 3, field: 5, component: 1 });
    const ack = buildAck({ original, code: 'AE', problems: [problem], ackControlId: 'A2', now }).split('\r');
    assert.equal(ack[1], 'MSA|AE|LAB-1|OBX[3]-5.1: value "a\\F\\b" is not a number');
    assert.equal(ack[2], 'ERR||OBX^3^5^1^1|102^Data type error^HL70357|E||||OBX[3]-5.1: value "a\\F\\b" is not a number');
  });

  test('v2.3 receivers get the ERR-1 (ELD) form; a message without MSH still gets an ACK', () => {
    const old = parse(message(MSH.replace('2.5.1', '2.3'), 'PID|1')).message;
    const ack = buildAck({ original: old, code: 'AE', problems: [new Hl7Problem('101', 'missing', { segment: 'PID', sequence: 1, field: 3 })], ackControlId: 'A3', now });
    assert.equal(ack.split('\r')[2], 'ERR|PID^1^3^101&Required field missing&HL70357');
    const bare = buildAck({ code: 'AR', problems: [new Hl7Problem('100', 'the message is empty', undefined, 'AR')], ackControlId: 'A4', now });
    assert.match(bare, /^MSH\|\^~\\&\|CARNET\|CARNET\|\|\|/);
    assert.match(bare, /\rMSA\|AR\|\|/);
  });
});

describe('MLLP framing', () => {
  const a = frame('MSH|a');
  const b = frame('MSH|b');

  test('frames split anywhere, several per chunk, FS and CR in different chunks', () => {
    const decoder = new MllpDecoder(1000);
    const all = Buffer.concat([a, b]);
    const events = [];
    events.push(...decoder.push(all.subarray(0, 3)), ...decoder.push(all.subarray(3, a.length - 1)), ...decoder.push(all.subarray(a.length - 1, a.length + 3)), ...decoder.push(all.subarray(a.length + 3)));
    assert.deepEqual(events.map((e) => (e.kind === 'message' ? e.bytes.toString() : e.kind)), ['MSH|a', 'MSH|b']);
    assert.equal(decoder.pending, false);
  });

  test('an oversized frame is reported with its head and size, and memory stays bounded', () => {
    const decoder = new MllpDecoder(10);
    const big = frame(`MSH|${'x'.repeat(50)}`);
    const events = [...decoder.push(big.subarray(0, 20)), ...decoder.push(big.subarray(20)), ...decoder.push(a)];
    assert.equal(events[0]?.kind, 'oversized');
    if (events[0]?.kind === 'oversized') assert.equal(events[0].size, 54);
    assert.equal(events[1]?.kind, 'message', 'the next frame is read normally');
  });

  test('bytes outside a frame, a frame restarted inside a frame, or FS without CR are garbage', () => {
    assert.equal(new MllpDecoder(100).push(Buffer.from('MSH|no frame'))[0]?.kind, 'garbage');
    assert.equal(new MllpDecoder(100).push(Buffer.concat([Buffer.from([0x0b]), Buffer.from('MSH|a'), Buffer.from([0x0b])]))[0]?.kind, 'garbage');
    assert.equal(new MllpDecoder(100).push(Buffer.concat([Buffer.from([0x0b]), Buffer.from('MSH|a'), Buffer.from([0x1c, 0x41])]))[0]?.kind, 'garbage');
    const tolerant = new MllpDecoder(100);
    assert.equal(tolerant.push(Buffer.concat([a, Buffer.from('\r\n'), b])).length, 2, 'line breaks between frames are tolerated');
  });
});

describe('HL7 dates', () => {
  test('precision is kept; a time gets seconds and the offset (sent, or the sender time zone)', () => {
    assert.equal(toDateTime('2024', at, 'UTC'), '2024');
    assert.equal(toDateTime('202403', at, 'UTC'), '2024-03');
    assert.equal(toDateTime('20240305', at, 'UTC'), '2024-03-05');
    assert.equal(toDateTime('202403051015', at, 'America/Toronto'), '2024-03-05T10:15:00-05:00');
    assert.equal(toDateTime('202407051015', at, 'America/Toronto'), '2024-07-05T10:15:00-04:00', 'daylight saving time');
    assert.equal(toDateTime('20240305101530.25+0130', at, 'UTC'), '2024-03-05T10:15:30.25+01:30');
    assert.equal(toInstant('20240305', at, 'America/Toronto'), '2024-03-05T00:00:00-05:00');
    assert.equal(toDate('198808181126+0215', at), '1988-08-18');
  });

  test('impossible dates are data type errors', () => {
    for (const bad of ['20230229', '99999999', '2024-03-05', '20241301', '202403052460', 'yesterday']) {
      assert.throws(() => toDateTime(bad, at, 'UTC'), (e: Hl7Problem) => e.code === '102', bad);
    }
  });
});
