import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { admit, decodeShlink, DEFAULT_LINK_LIMITS, encodeShlink, LinkError, linkStatus, manifest, parseManifestRequest, planLink, ticketFor, ticketValid } from '../../src/documents/health-links/link.js';
import { decryptFile, encryptFile } from '../../src/documents/health-links/jwe.js';

/** SMART Health Links, the pure rules (src/documents/health-links/link.ts) and the JWE of a file. */
const NOW = new Date('2026-12-03T12:00:00Z');
const DAY = 86_400_000;

describe('health links: the creator’s request', () => {
  test('defaults: the IPS, 30 days, no flag; flags in alphabetical order', () => {
    const plan = planLink({ content: [] }, NOW);
    assert.deepEqual(plan.content, ['ips']);
    assert.equal(plan.expiresAt.getTime(), NOW.getTime() + 30 * DAY);
    assert.equal(plan.flag, '');
    assert.equal(planLink({ content: ['ips'], passcode: '1234', longTerm: true }, NOW).flag, 'LP');
    assert.equal(planLink({ content: ['immunization'], direct: true, longTerm: true }, NOW).flag, 'LU');
    assert.deepEqual(planLink({ content: ['ips', 'immunization', 'ips'] }, NOW).content, ['ips', 'immunization']);
  });

  test('refusals name what is wrong', () => {
    const refuses = (ask: Parameters<typeof planLink>[0], pattern: RegExp) => assert.throws(() => planLink(ask, NOW), (e: unknown) => e instanceof LinkError && pattern.test(e.message));
    refuses({ content: ['x-ray'] }, /content/);
    refuses({ content: [], label: 'x'.repeat(81) }, /label/);
    refuses({ content: [], passcode: '12' }, /passcode/);
    refuses({ content: [], passcode: '1234', direct: true }, /flag U/);
    refuses({ content: ['ips', 'immunization'], direct: true }, /exactly one/);
    refuses({ content: [], expires: '2026-12-01' }, /passed/);
    refuses({ content: [], expires: '2028-01-01' }, /at most 365/);
    refuses({ content: [], expires: 'tomorrow' }, /not a date/);
    assert.equal(planLink({ content: [], expires: '2026-12-10T00:00:00-05:00' }, NOW).expiresAt.toISOString(), '2026-12-10T05:00:00.000Z');
  });
});

describe('health links: the shlink:/ payload', () => {
  test('round-trips, bare or behind a viewer; a bad payload is refused', () => {
    const key = Buffer.alloc(32, 7).toString('base64url');
    const link = encodeShlink({ url: 'https://carnet.example/shl/abc', key, exp: 1_800_000_000, flag: 'P', label: 'Mon résumé' });
    assert.match(link, /^shlink:\/[\w-]+$/);
    assert.deepEqual(decodeShlink(link), { url: 'https://carnet.example/shl/abc', key, exp: 1_800_000_000, flag: 'P', label: 'Mon résumé', v: 1 });
    assert.equal(decodeShlink(`https://viewer.example/#${link}`).key, key);
    assert.equal(key.length, 43, 'the IG: 43 characters');
    assert.throws(() => decodeShlink('https://example.org/'), LinkError);
    assert.throws(() => decodeShlink(`shlink:/${Buffer.from('{"url":"x","key":"short"}').toString('base64url')}`), /32-byte key/);
  });
});

describe('health links: state, admission and manifest', () => {
  const active = { expiresAt: new Date(NOW.getTime() + DAY), attemptsLeft: 3, flag: '' };
  test('status: revoked, expired, locked or active', () => {
    assert.equal(linkStatus(active, NOW), 'active');
    assert.equal(linkStatus({ ...active, revokedAt: NOW }, NOW), 'revoked');
    assert.equal(linkStatus({ ...active, expiresAt: NOW }, NOW), 'expired');
    assert.equal(linkStatus({ ...active, passcodeHash: 'h', attemptsLeft: 0 }, NOW), 'locked');
    assert.equal(linkStatus({ ...active, attemptsLeft: 0 }, NOW), 'active', 'attempts count only with a passcode');
  });

  test('admission: unknown and inactive links look alike; a passcode link needs the passcode', () => {
    assert.equal(admit(undefined, {}, NOW).kind, 'absent');
    assert.equal(admit({ ...active, revokedAt: NOW }, {}, NOW).kind, 'absent');
    assert.equal(admit(active, {}, NOW).kind, 'admit');
    assert.equal(admit({ ...active, passcodeHash: 'h' }, {}, NOW).kind, 'passcode-needed');
    assert.equal(admit({ ...active, passcodeHash: 'h' }, { passcode: 'x' }, NOW).kind, 'check-passcode');
  });

  test('the manifest request: recipient required, passcode a string, embeddedLengthMax an integer', () => {
    assert.deepEqual(parseManifestRequest({ recipient: ' Dr Roy ', embeddedLengthMax: 10 }), { recipient: 'Dr Roy', embeddedLengthMax: 10 });
    for (const bad of [null, [], {}, { recipient: '' }, { recipient: 'a', passcode: 1234 }, { recipient: 'a', embeddedLengthMax: -1 }, { recipient: 'a', embeddedLengthMax: 1.5 }]) {
      assert.throws(() => parseManifestRequest(bad), LinkError, JSON.stringify(bad));
    }
  });

  test('files are embedded unless the recipient bounds them; status says whether they may change', () => {
    const files = [{ contentType: 'application/fhir+json', jwe: 'x'.repeat(100), lastUpdated: NOW.toISOString() }, { contentType: 'application/smart-health-card', jwe: 'y'.repeat(10), lastUpdated: NOW.toISOString() }];
    const all = manifest(files, 'P', undefined, (i) => `loc/${i}`);
    assert.equal(all.status, 'finalized');
    assert.deepEqual(all.files.map((f) => f.embedded?.length), [100, 10]);
    const bounded = manifest(files, 'L', 50, (i) => `loc/${i}`);
    assert.equal(bounded.status, 'can-change');
    assert.deepEqual(bounded.files.map((f) => f.location ?? 'embedded'), ['loc/0', 'embedded']);
  });

  test('location tickets: valid for their link, file and lifetime only', () => {
    const mac = (v: string) => Buffer.from(`mac:${v}`).toString('base64url');
    const eq = (a: string, b: string) => a === b;
    const ticket = ticketFor('tok', 1, NOW, DEFAULT_LINK_LIMITS, mac);
    assert.ok(ticketValid(ticket, 'tok', 1, NOW, mac, eq));
    assert.ok(!ticketValid(ticket, 'tok', 0, NOW, mac, eq), 'another file');
    assert.ok(!ticketValid(ticket, 'other', 1, NOW, mac, eq), 'another link');
    assert.ok(!ticketValid(ticket, 'tok', 1, new Date(NOW.getTime() + 3601_000), mac, eq), 'expired after an hour');
    assert.ok(!ticketValid('garbage', 'tok', 1, NOW, mac, eq));
  });

  test('a file is a JWE dir + A256GCM with its content type, decrypted with the link’s key only', async () => {
    const key = new Uint8Array(32).fill(3);
    const jwe = await encryptFile('{"resourceType":"Bundle"}', key, 'application/fhir+json');
    const header = JSON.parse(Buffer.from(jwe.split('.')[0] as string, 'base64url').toString());
    assert.deepEqual(header, { alg: 'dir', enc: 'A256GCM', cty: 'application/fhir+json' });
    assert.equal(jwe.split('.')[1], '', 'dir: no encrypted key');
    assert.deepEqual(await decryptFile(jwe, key), { contentType: 'application/fhir+json', text: '{"resourceType":"Bundle"}' });
    await assert.rejects(decryptFile(jwe, new Uint8Array(32).fill(4)));
  });
});
