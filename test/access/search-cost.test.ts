import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { AuditWriter } from '../../src/audit/writer.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { countingDatabase, type CountingDatabase } from '../support/counting-database.js';
import { PASSWORD, createUser, professionalToken, seedDirectory } from '../support/auth.js';

/**
 * The statements a professional's search costs, through the real HTTP server: token check, consent SQL
 * (inside the search statement), the break-the-glass lookup and the audit record. The count must not grow
 * with the page size (no N+1) nor with a consent or a break-the-glass grant in force.
 */
describe('the search path of a professional costs a bounded number of statements', () => {
  let t: TestCarnet;
  let counting: CountingDatabase;
  let drB: string;
  const pm = 'pc';
  before(async () => {
    t = await startTestCarnet({ wrapDatabase: (db) => (counting = countingDatabase(db)).db, env: { CARNET_ACCESS_TOKEN_SECONDS: '86400' } });
    await seedDirectory(t);
    const entry: BundleEntry[] = [{ resource: { resourceType: 'Patient', id: pm, name: [{ family: 'Cost' }] }, request: { method: 'PUT', url: `Patient/${pm}` } }];
    for (let i = 0; i < 60; i++) {
      entry.push({ resource: { resourceType: 'Observation', id: `oc${i}`, status: 'final', code: { text: `x${i}` }, subject: { reference: `Patient/${pm}` } }, request: { method: 'PUT', url: `Observation/oc${i}` } });
    }
    const loaded = await t.request('POST', '/fhir', { body: { resourceType: 'Bundle', type: 'transaction', entry } });
    assert.equal(loaded.status, 200, loaded.text);
    drB = await professionalToken(t, 'drb', 'physician', 'dr-b');
  });
  after(() => t.close());

  const search = async (count: number) => {
    // The records writes inserted are sealed into the chain by the next append: done here, so that the
    // count is the search's own (the seal is one transaction of six statements, whatever it seals).
    assert.ok(t.carnet.ctx.audit instanceof AuditWriter);
    await t.carnet.ctx.audit.flush();
    counting.reset();
    const r = await t.request('GET', `/fhir/Observation?subject=Patient/${pm}&_count=${count}`, { token: drB });
    assert.equal(r.status, 200, r.text);
    // The token service refreshes the revocation list at most once a second per process, whichever
    // request comes then (other processes' revocations are known within a second): not this search's cost.
    const statements = counting.statements.filter((sql) => !/\bFROM auth_revocation\b/.test(sql));
    return { entries: (r.body as Bundle).entry?.length ?? 0, statements };
  };
  const summary = (statements: string[]) => statements.map((s) => s.replace(/\s+/g, ' ').slice(0, 60)).join('\n');

  test('three statements whatever the page size: the search (consent SQL inside), the break-the-glass lookup, the audit record', async () => {
    const small = await search(2);
    const large = await search(50);
    assert.equal(small.entries, 2);
    assert.equal(large.entries, 50);
    assert.equal(large.statements.length, small.statements.length, summary(large.statements));
    const searches = large.statements.filter((s) => /\bconsent_rule\b/.test(s));
    assert.equal(searches.length, 1, `the consent SQL is inside the one search statement\n${summary(large.statements)}`);
    assert.ok(large.statements.some((s) => /\bFROM break_glass\b/.test(s)), 'the break-the-glass lookup');
    assert.ok(large.statements.some((s) => /INSERT INTO audit_event/.test(s)), 'the audit record');
    assert.ok(large.statements.length <= 3, `${large.statements.length} statements\n${summary(large.statements)}`);
  });

  test('a consent in force and a break-the-glass grant do not add statements', async () => {
    const before = (await search(50)).statements.length;
    await createUser(t, { username: 'owner', password: PASSWORD, displayName: 'Owner', role: 'patient', fhirUser: `Patient/${pm}` });
    const consent = await t.request('POST', '/fhir/Consent', { body: {
      resourceType: 'Consent', status: 'active', patient: { reference: `Patient/${pm}` }, category: [{ text: 'privacy' }],
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
      provision: { type: 'permit', provision: [{ type: 'deny', actor: [{ role: { text: 'x' }, reference: { reference: 'Organization/org-b' } }] }] },
    } });
    assert.equal(consent.status, 201, consent.text);
    const hidden = await search(50);
    assert.equal(hidden.entries, 0, 'the consent hides the record from org B');
    assert.equal(hidden.statements.length, before - 1, `no patient seen: no break-the-glass lookup\n${summary(hidden.statements)}`);
    const glass = await t.request('POST', `/fhir/Patient/${pm}/$break-the-glass`, { token: drB, body: { resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: 'Unconscious patient in the emergency room' }] } });
    assert.equal(glass.status, 200, glass.text);
    const overridden = await search(50);
    assert.equal(overridden.entries, 50, 'the grant overrides the consent');
    assert.equal(overridden.statements.length, before, summary(overridden.statements));
  });
});
