import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Principal } from '../../src/access/principal.js';
import { ROLES, type Role } from '../../src/access/roles.js';
import { parseScopes } from '../../src/access/scopes.js';
import { maskConsent, maskConsents, maskConsentsText, masksConsents, OBSERVATION_VALUE } from '../../src/consent/masking.js';

/**
 * The pure masking of Consents for professionals (src/consent/masking.ts), without a server: who is masked,
 * that no `provision.data` survives at any depth or in any container an answer can have, that the rest of
 * the Consent and its existing labels stay, and that an answer with nothing to mask is the very same object.
 */
type Json = Record<string, unknown>;

function principal(role: Role, platform = false): Principal {
  return {
    kind: role === 'system' ? 'client' : 'user', subject: role, clientId: 'c', role, display: role, patients: [],
    scopes: parseScopes('user/*.cruds'), platform, tokenId: 't',
  };
}

const reference = (r: string) => ({ meaning: 'instance', reference: { reference: r } });
const consent = (id: string, extra: Json = {}): Json => ({
  resourceType: 'Consent', id, status: 'active', patient: { reference: 'Patient/p' },
  meta: { versionId: '2', security: [{ system: 'urn:other', code: 'X' }] },
  provision: {
    type: 'permit', period: { start: '2026-01-01' },
    data: [reference('Observation/top')],
    provision: [
      { type: 'deny', data: [reference('Observation/secret')], securityLabel: [{ code: 'MH' }] },
      { type: 'deny', actor: [{ reference: { reference: 'Organization/b' } }], provision: [{ type: 'permit', data: [reference('DocumentReference/deep')] }] },
    ],
  },
  ...extra,
});
/** Every id a masked answer must not name. */
const NAMED = ['Observation/top', 'Observation/secret', 'DocumentReference/deep'];
const names = (value: unknown) => NAMED.filter((r) => JSON.stringify(value).includes(r));

describe('consent masking (pure)', () => {
  test('masked for professionals and organisation systems; whole for the patient side, privacy officers, researchers, admins and the platform', () => {
    const masked = ROLES.filter((role) => masksConsents(principal(role)));
    assert.deepEqual(masked.sort(), ['nurse', 'pharmacist', 'physician', 'system']);
    assert.equal(masksConsents(principal('system', true)), false, 'platform clients see Consents whole');
    assert.equal(masksConsents(undefined), false, 'Carnet\'s own reads (no principal) are not masked');
  });

  test('a Consent loses every data entry at every depth, gains REDACTED and SUBSETTED, keeps everything else', () => {
    const original = consent('c1');
    const copy = structuredClone(original);
    const out = maskConsent(original);
    assert.deepEqual(names(out), []);
    assert.deepEqual(original, copy, 'the input is not modified');
    const provision = out.provision as Json & { provision: Json[] };
    assert.equal(provision.type, 'permit');
    assert.deepEqual(provision.period, { start: '2026-01-01' });
    assert.equal(provision.provision.length, 2, 'the nested provisions stay');
    assert.deepEqual(provision.provision[0], { type: 'deny', securityLabel: [{ code: 'MH' }] });
    assert.deepEqual((provision.provision[1] as { provision: Json[] }).provision, [{ type: 'permit' }]);
    const meta = out.meta as { versionId: string; security: Json[]; tag: Json[] };
    assert.equal(meta.versionId, '2');
    assert.deepEqual(meta.security.map((c) => c.code), ['X', 'REDACTED']);
    assert.ok(meta.security.every((c) => c.code === 'X' || c.system === OBSERVATION_VALUE));
    assert.deepEqual(meta.tag.map((c) => c.code), ['SUBSETTED']);
    assert.equal(out.status, 'active');
    assert.deepEqual(out.patient, { reference: 'Patient/p' });
  });

  test('masking twice changes nothing more; labels are never doubled', () => {
    const once = maskConsent(consent('c1'));
    const twice = maskConsent({ ...once, provision: { ...(once.provision as Json), data: [reference('Observation/top')] } });
    assert.deepEqual((twice.meta as { security: Json[] }).security.filter((c) => c.code === 'REDACTED').length, 1);
    assert.deepEqual((twice.meta as { tag: Json[] }).tag.filter((c) => c.code === 'SUBSETTED').length, 1);
    assert.equal(maskConsents(once), once, 'nothing left to mask: the same object');
  });

  test('a Consent that names nothing, and any other resource, come back as the same object', () => {
    const plain = consent('c2', { provision: { type: 'deny' } });
    assert.equal(maskConsent(plain), plain);
    const bare = { resourceType: 'Consent', id: 'c3' };
    assert.equal(maskConsent(bare), bare, 'no provision at all');
    const observation = { resourceType: 'Observation', id: 'o', status: 'final', note: [{ text: 'Consent data Observation/top' }] };
    assert.equal(maskConsents(observation), observation);
    const bundle = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: observation }, { resource: plain }] };
    assert.equal(maskConsents(bundle), bundle);
  });

  test('every container an answer can have: Bundles in Bundles (batch), outcomes, Parameters parts, contained', () => {
    const answer = {
      resourceType: 'Bundle', type: 'batch-response',
      entry: [
        { resource: consent('e1'), response: { status: '200 OK' } },
        { resource: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: consent('e2'), search: { mode: 'match' } }] } },
        { response: { status: '200 OK', outcome: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: consent('e3') }] } } },
        { resource: { resourceType: 'Parameters', parameter: [{ name: 'x', resource: consent('e4') }, { name: 'y', part: [{ name: 'z', resource: consent('e5') }] }] } },
        { resource: { resourceType: 'Observation', id: 'o', contained: [consent('e6')] } },
        { resource: { resourceType: 'Patient', id: 'p' } },
      ],
    };
    const copy = structuredClone(answer);
    const out = maskConsents(answer);
    assert.notEqual(out, answer);
    assert.deepEqual(names(out), [], JSON.stringify(out));
    assert.deepEqual(answer, copy, 'the input is not modified');
    const entries = out.entry as Json[];
    assert.equal(entries[5], answer.entry[5], 'untouched entries are kept as they were');
    const text = JSON.stringify(out);
    assert.equal(text.split('"REDACTED"').length - 1, 6, 'each of the six Consents is labelled');
  });

  test('on serialised answers: parsed only when it may hold a Consent, same text when nothing changed', () => {
    const noConsent = JSON.stringify({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'Observation', id: 'o' } }] });
    assert.equal(maskConsentsText(noConsent), noConsent);
    const plain = JSON.stringify({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: consent('c', { provision: { type: 'deny' } }) }] });
    assert.equal(maskConsentsText(plain), plain);
    const named = JSON.stringify({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: consent('c') }] });
    const masked = maskConsentsText(named);
    assert.deepEqual(names(masked), []);
    assert.ok(masked.includes('SUBSETTED'));
    assert.equal(maskConsentsText('"Consent"'), '"Consent"', 'a JSON value that is no resource is left alone');
  });
});
