import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { decodeJwt } from 'jose';
import { decideRead, NO_CONSENT } from '../../src/access/policy.js';
import type { Principal } from '../../src/access/principal.js';
import { roleClass } from '../../src/access/roles.js';
import { principalOf } from '../../src/auth/tokens.js';
import { factsOfRow } from '../../src/fhir/access.js';
import { statusOf } from '../../src/fhir/outcomes.js';
import { consentFacts } from '../../src/storage/consent-store.js';
import { readCurrent } from '../../src/storage/resource-store.js';
import { clientSecretToken, codeFlow, createUser, PASSWORD, professionalToken, registerClient, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet, type TestResponse } from '../support/harness.js';
import { loadTestPopulation } from '../support/population.js';
import { ACT, ids, privacyConsent } from '../support/persons.js';

/**
 * The access matrix over persons of the demo population (issue #14): a person of several source records
 * linked by the MPI, under a consent written on one of them, linked as generated, then with two of its
 * records merged, then unmerged. For every principal and a sample of the person's resources (its source
 * Patients, their data, its Person) and another person's: read, identifier search and `_summary=count`
 * show what the policy engine permits, and the conditional operations' criteria (If-None-Exist,
 * conditional update and delete) and writes by id answer for a hidden resource exactly as for an absent
 * one, and write nothing.
 */
const STATES = {
  'no consent': undefined,
  'opt-out on the first record': { on: 0, provision: { type: 'deny' } },
  'exclude organisation B on the second record': { on: 1, provision: { type: 'permit', provision: [{ type: 'deny', actor: [{ role: { text: 'actor' }, reference: { reference: 'Organization/org-b' } }] }] } },
  'hide mental health on the last record': { on: -1, provision: { type: 'permit', provision: [{ type: 'deny', securityLabel: [{ system: ACT, code: 'MH' }] }] } },
} as const;
const ABSENT = 'absent-0000';

describe('access matrix over demo persons: linked, merged, unmerged; conditional operations', () => {
  let t: TestCarnet;
  let records: string[];
  let other: string;
  const tokens = new Map<string, string>();
  const principals = new Map<string, Principal>();

  before(async () => {
    t = await startTestCarnet({ env: { CARNET_ACCESS_TOKEN_SECONDS: '7200' } });
    await seedDirectory(t);
    await loadTestPopulation(t, { persons: 10 }, 'Organization/org-a');
    const { rows } = await t.carnet.db.query<{ records: string[] }>(
      `SELECT array_agg(patient_id ORDER BY patient_id) AS records FROM mpi_record GROUP BY person_id HAVING count(*) >= 3 ORDER BY min(patient_id) LIMIT 2`,
    );
    assert.ok(rows.length >= 2, 'the demo population has persons of three source records or more');
    records = rows[0]?.records as string[];
    other = (rows[1]?.records as string[])[0] as string;
    await registerClient(t, { id: 'sys-b', name: 'EMR B', kind: 'confidential', secret: 'sys-b-secret-0123456789', scope: 'system/*.cruds', organization: 'Organization/org-b' });
    await createUser(t, { username: 'person', password: PASSWORD, displayName: 'P', role: 'patient', fhirUser: `Patient/${records[0]}` });
    await createUser(t, { username: 'someone', password: PASSWORD, displayName: 'S', role: 'patient', fhirUser: `Patient/${other}` });
    const userToken = async (username: string) => (await codeFlow(t, { username, password: PASSWORD, scope: 'user/*.cruds' })).token?.access_token as string;
    tokens.set('the person', await userToken('person'));
    tokens.set('another person', await userToken('someone'));
    tokens.set('physician A (writer)', await professionalToken(t, 'dra', 'physician', 'dr-a'));
    tokens.set('physician B', await professionalToken(t, 'drb', 'physician', 'dr-b'));
    tokens.set('pharmacist', await professionalToken(t, 'pharmacien', 'pharmacist', 'pharm', 'user/*.cruds'));
    tokens.set('system B', await clientSecretToken(t, 'sys-b', 'sys-b-secret-0123456789', 'system/*.cruds'));
    for (const [name, token] of tokens) principals.set(name, principalOf(decodeJwt(token) as unknown as Parameters<typeof principalOf>[0]) as Principal);
  });
  after(() => t.close());

  /** A sample of the person's resources (each record, three of its data, the Person) and one of another person. */
  async function sample(): Promise<string[]> {
    const refs: string[] = [];
    for (const id of records) {
      refs.push(`Patient/${id}`);
      const { rows } = await t.carnet.db.query<{ ref: string }>(
        `SELECT resource_type || '/' || id AS ref FROM resource WHERE patient_id = $1 AND NOT deleted AND resource_type IN ('Observation', 'Condition', 'MedicationRequest', 'Immunization') ORDER BY (sensitivity IS NULL), resource_type, id LIMIT 3`, [id],
      );
      refs.push(...rows.map((r) => r.ref));
    }
    const { rows } = await t.carnet.db.query<{ person_id: string }>('SELECT person_id FROM mpi_record WHERE patient_id = $1', [records[0]]);
    refs.push(`Person/${rows[0]?.person_id}`, `Patient/${other}`);
    return [...new Set(refs)];
  }

  /** What the engine decides for this principal on this resource now (the oracle, as in matrix.test.ts). */
  async function expected(token: Principal, ref: string, action: 'read' | 'search'): Promise<{ permit: boolean; status: number | undefined }> {
    // As the router sees the requester: a patient's token widened to every record of their person.
    const principal = t.carnet.ctx.personScopes ? await t.carnet.ctx.personScopes.widen(token, t.carnet.db, false) : token;
    const [type, id] = ref.split('/') as [string, string];
    const row = await readCurrent(t.carnet.db, type, id);
    assert.ok(row && !row.deleted, ref);
    const facts = factsOfRow(row);
    const cls = roleClass(principal.role);
    const consent = facts.patientId && (cls === 'professional' || (cls === 'system' && !principal.platform))
      ? await consentFacts(t.carnet.db, facts.patientId, principal.subject, t.carnet.ctx.clock()) : NO_CONSENT;
    const d = decideRead(principal, facts, consent, t.carnet.ctx.clock(), action);
    return { permit: d.permit, status: d.denial ? statusOf(d.denial) : undefined };
  }

  async function setState(state: keyof typeof STATES): Promise<void> {
    await t.request('DELETE', '/fhir/Consent/mx-consent');
    const chosen = STATES[state];
    if (!chosen) return;
    const on = records[chosen.on < 0 ? records.length + chosen.on : chosen.on] as string;
    const r = await t.request('PUT', '/fhir/Consent/mx-consent', { body: privacyConsent('mx-consent', on, chosen.provision as never) });
    assert.ok(r.status === 200 || r.status === 201, r.text);
  }

  const said = (r: TestResponse, id: string) => `${r.status} ${((r.body as OperationOutcome | undefined)?.issue ?? []).map((i) => i.diagnostics).join('; ').split(id).join('<id>')}`;
  const version = async (ref: string) => (await readCurrent(t.carnet.db, ref.split('/')[0] as string, ref.split('/')[1] as string))?.versionId;

  async function checkAll(phase: string): Promise<void> {
    let hiddenChecked = 0;
    for (const state of Object.keys(STATES) as (keyof typeof STATES)[]) {
      await setState(state);
      const refs = await sample();
      for (const [name, token] of tokens) {
        const principal = principals.get(name) as Principal;
        const label = (what: string) => `${phase} / ${state} / ${name} / ${what}`;
        const absent = new Map<string, TestResponse[]>();
        const attempts = async (type: string, id: string): Promise<TestResponse[]> => {
          const invalid = { resourceType: type, notAnElement: true };
          return [
            await t.request('POST', `/fhir/${type}`, { token, body: invalid, headers: { 'if-none-exist': `_id=${id}` } }),
            await t.request('PUT', `/fhir/${type}?_id=${id}`, { token, body: invalid }),
            await t.request('DELETE', `/fhir/${type}?_id=${id}`, { token }),
            await t.request('DELETE', `/fhir/${type}/${id}`, { token }),
            await t.request('PUT', `/fhir/${type}/${id}`, { token, body: { ...invalid, id } }),
          ];
        };
        for (const ref of refs) {
          const [type, id] = ref.split('/') as [string, string];
          const read = await expected(principal, ref, 'read');
          const r = await t.request('GET', `/fhir/${ref}`, { token });
          assert.equal(r.status, read.permit ? 200 : read.status, label(`read ${ref}`));
          const search = await expected(principal, ref, 'search');
          if (search.permit || read.permit || read.status !== 404) continue;
          // Hidden from this principal: every conditional operation and write by id answers as for an absent id.
          if (!absent.has(type)) absent.set(type, await attempts(type, ABSENT));
          const before = await version(ref);
          const hidden = await attempts(type, id);
          hidden.forEach((h, i) => {
            const a = (absent.get(type) as TestResponse[])[i] as TestResponse;
            assert.equal(said(h, id), said(a, ABSENT), label(`attempt ${i} on hidden ${ref}`));
          });
          assert.equal(await version(ref), before, label(`nothing written to ${ref}`));
          hiddenChecked++;
        }
        // Identifier searches of the person's source Patients, and counts of their data.
        for (const id of records) {
          const patient = JSON.parse((await readCurrent(t.carnet.db, 'Patient', id))?.content as string) as Patient;
          const identifier = patient.identifier?.find((i) => i.system && i.value);
          const seen = (await expected(principal, `Patient/${id}`, 'search')).permit;
          if (identifier) {
            const s = await t.request('GET', `/fhir/Patient?identifier=${encodeURIComponent(`${identifier.system}|${identifier.value}`)}`, { token });
            if (s.status === 200) assert.ok(ids(s.body as Bundle).includes(`Patient/${id}`) === seen, label(`identifier search of Patient/${id}`));
            else assert.equal(seen, false, label(`identifier search refused (${s.status}) though Patient/${id} is visible`));
          }
          const count = await t.request('GET', `/fhir/Observation?subject=Patient/${id}&_summary=count`, { token });
          if (count.status !== 200) continue;
          // A patient's search of one of their records is person-wide (fhir/search/person-wide.ts).
          const scope = roleClass(principal.role) === 'own-record' ? records : [id];
          const { rows } = await t.carnet.db.query<{ ref: string }>(`SELECT resource_type || '/' || id AS ref FROM resource WHERE patient_id = ANY($1) AND resource_type = 'Observation' AND NOT deleted`, [scope]);
          let visible = 0;
          for (const row of rows) if ((await expected(principal, row.ref, 'search')).permit) visible++;
          assert.equal((count.body as Bundle).total, visible, label(`_summary=count of Patient/${id}'s Observations`));
        }
      }
    }
    assert.ok(hiddenChecked > 20, `${phase}: hidden resources were tried (${hiddenChecked})`);
  }

  test('linked as generated', async () => {
    await checkAll('linked');
  });

  test('two of the person\'s records merged', async () => {
    const r = await t.request('POST', '/fhir/Patient/$merge', { body: { resourceType: 'Parameters', parameter: [
      { name: 'source-patient', valueReference: { reference: `Patient/${records[1]}` } }, { name: 'target-patient', valueReference: { reference: `Patient/${records[0]}` } },
      { name: 'actor', valueString: 'admin:test' },
    ] } });
    assert.equal(r.status, 200, r.text);
    await checkAll('merged');
  });

  test('and unmerged', async () => {
    const r = await t.request('POST', '/fhir/Patient/$unmerge', { body: { resourceType: 'Parameters', parameter: [
      { name: 'source-patient', valueReference: { reference: `Patient/${records[1]}` } }, { name: 'actor', valueString: 'admin:test' },
    ] } });
    assert.equal(r.status, 200, r.text);
    await checkAll('unmerged');
  });
});
