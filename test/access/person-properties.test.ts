import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Bundle, Consent } from '@medplum/fhirtypes';
import { codeFlow, createUser, PASSWORD, professionalToken, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { loadTestPopulation } from '../support/population.js';
import { ACT, ids, privacyConsent } from '../support/persons.js';

/**
 * Property (issue #14): for any person of the demo population (several source records linked by the MPI)
 * and any principal, under any consent written on any one of the person's records, the set of resources
 * the principal sees is the same whichever source record the request names — `$everything` for everyone,
 * and the person-wide searches of patients (`Observation?patient=<record>`, the compartment).
 */
const STATES: Record<string, Consent['provision'] | undefined> = {
  'no consent': undefined,
  'opt-out': { type: 'deny' },
  'exclude organisation A': { type: 'permit', provision: [{ type: 'deny', actor: [{ role: { text: 'actor' }, reference: { reference: 'Organization/org-a' } }] }] },
  'hide mental health': { type: 'permit', provision: [{ type: 'deny', securityLabel: [{ system: ACT, code: 'MH' }] }] },
  'open mental health': { type: 'permit', provision: [{ type: 'permit', securityLabel: [{ system: ACT, code: 'MH' }] }] },
};

describe('person-wide visibility does not depend on which source record a request names (property)', () => {
  let t: TestCarnet;
  let persons: string[][];
  const tokens = new Map<string, string>();
  /** For each multi-record person (index), the token of its patient account. */
  const patientTokens: string[] = [];

  before(async () => {
    t = await startTestCarnet({ env: { CARNET_ACCESS_TOKEN_SECONDS: '7200' } });
    await seedDirectory(t);
    await loadTestPopulation(t, { persons: 12 });
    const { rows } = await t.carnet.db.query<{ records: string[] }>(
      `SELECT array_agg(patient_id ORDER BY patient_id) AS records FROM mpi_record GROUP BY person_id HAVING count(*) >= 2 ORDER BY min(patient_id) LIMIT 4`,
    );
    persons = rows.map((r) => r.records);
    assert.ok(persons.length >= 2, 'the demo population has persons of several source records');
    for (const [i, records] of persons.entries()) {
      await createUser(t, { username: `person${i}`, password: PASSWORD, displayName: `P${i}`, role: 'patient', fhirUser: `Patient/${records[records.length - 1]}` });
      patientTokens.push((await codeFlow(t, { username: `person${i}`, password: PASSWORD, scope: 'user/*.cruds' })).token?.access_token as string);
    }
    tokens.set('physician A', await professionalToken(t, 'dra', 'physician', 'dr-a'));
    tokens.set('nurse B', await professionalToken(t, 'nurseb', 'nurse', 'dr-b', 'user/*.rs'));
  });
  after(() => t.close());

  async function seen(url: string, token: string): Promise<string> {
    const r = await t.request('GET', url, { token });
    return r.status === 200 ? ids(r.body as Bundle).join(' ') : `status ${r.status}`;
  }

  test('any person, principal, consent and pair of records', async () => {
    await fc.assert(fc.asyncProperty(
      fc.nat(), fc.constantFrom(...Object.keys(STATES)), fc.nat(), fc.constantFrom('physician A', 'nurse B', 'the patient', 'another patient'), fc.nat(), fc.nat(),
      async (p, state, onRecord, who, a, b) => {
        const person = persons[p % persons.length] as string[];
        const provision = STATES[state];
        await t.request('DELETE', '/fhir/Consent/prop-consent');
        if (provision) {
          const r = await t.request('PUT', '/fhir/Consent/prop-consent', { body: privacyConsent('prop-consent', person[onRecord % person.length] as string, provision) });
          assert.ok(r.status === 200 || r.status === 201, r.text);
        }
        const own = who === 'the patient' || who === 'another patient';
        const token = who === 'the patient' ? patientTokens[p % persons.length] as string
          : who === 'another patient' ? patientTokens[(p + 1) % persons.length] as string : tokens.get(who) as string;
        const [ra, rb] = [person[a % person.length] as string, person[b % person.length] as string];
        const label = `${state} on ${person[onRecord % person.length]}, ${who}, ${ra} vs ${rb}`;
        assert.equal(await seen(`/fhir/Patient/${ra}/$everything?_count=1000`, token), await seen(`/fhir/Patient/${rb}/$everything?_count=1000`, token), `$everything: ${label}`);
        if (own) {
          assert.equal(await seen(`/fhir/Observation?patient=${ra}&_count=1000`, token), await seen(`/fhir/Observation?patient=${rb}&_count=1000`, token), `search: ${label}`);
          assert.equal(await seen(`/fhir/Patient/${ra}/Condition?_count=1000`, token), await seen(`/fhir/Patient/${rb}/Condition?_count=1000`, token), `compartment: ${label}`);
        }
        if (state === 'opt-out' && !own) assert.equal(await seen(`/fhir/Patient/${ra}/$everything`, token), 'status 404', `opt-out hides every record: ${label}`);
      },
    ), { numRuns: 30, seed: 14 });
  });
});
