import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Bundle } from '@medplum/fhirtypes';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { msa } from './mllp-client.js';
import { FIXTURES, fixture } from './support.js';

/**
 * Every malformed and edge-case sample (test/fixtures/hl7v2/malformed, edge-cases; see PROVENANCE.md and the
 * manifest) through the real gateway: the ACK code, the first ERR's code and location, and what was written.
 * AA rows are defects of a public-health profile (MMWR week, OBR-31, MSH-21…) that do not concern the
 * mapping to FHIR: the message is accepted as any lab result is.
 */
type Expect = readonly [ack: 'AA' | 'AE' | 'AR', code?: string, location?: string];

const EXPECTED: Record<string, Expect> = {
  'malformed/cdc__GenV1_withStructureErrors.hl7': ['AE', '102', 'OBX^10^5^1^2'], // NM value "test"
  'malformed/cdc__Genv1-Case-TestMessage1.hl7': ['AR', '100', 'MSH^1'], // junk lines before MSH
  'malformed/cdc__Hepatitis_V1_0_1_TM_TC02_HEP_B_ACUTE_MOD.hl7': ['AR', '101', 'MSH^1^7^1'], // truncated: MSH ends after MSH-3
  'malformed/cdc__Invalid-Vocab-GenV1-0-Case-Notification.hl7': ['AA'], // vocabulary of a notification profile
  'malformed/cdc__Lyme_BadDate.hl7': ['AE', '102', 'OBX^11^5^1^1'], // 20230229
  'malformed/cdc__Lyme_BadWeek.hl7': ['AA'], // MMWR week 55: profile rule
  'malformed/cdc__Lyme_WithBadDelimiters.hl7': ['AR', '102', 'MSH^1^2^1'], // MSH|&&&&
  'malformed/cdc__Lyme_WithInvalidOBR31.hl7': ['AA'], // condition code: profile rule
  'malformed/cdc__Lyme_WithMMGErrors.hl7': ['AA'], // message mapping guide rules
  'malformed/cdc__Lyme_WithMissingJurCode.hl7': ['AA'], // jurisdiction: profile rule
  'malformed/cdc__Lyme_WithMissingMSH212.hl7': ['AA'], // MSH-21.2 is optional in HL7
  'malformed/cdc__Lyme_WithMissingOBR31.hl7': ['AE', '205', 'OBX^51^3^1'], // two OBX with the same OBX-3 and OBX-4
  'malformed/cdc__PHLIP_FLU_2.5.1_DUPLICATE_OBX1.hl7': ['AE', '205', 'OBX^2^3^1'], // the duplicated OBX repeats OBX-3/OBX-4 too
  'malformed/cdc__PHLIP_FLU_2.5.1_NO_MSH10.hl7': ['AR', '101', 'MSH^1^10^1'],
  'malformed/cdc__PHLIP_FLU_2.5.1_NO_MSH11.hl7': ['AR', '101', 'MSH^1^11^1'],
  'malformed/cdc__PHLIP_FLU_2.5.1_NO_MSH12.hl7': ['AR', '101', 'MSH^1^12^1'],
  'malformed/cdc__PHLIP_FLU_2.5.1_NO_MSH21.hl7': ['AA'], // MSH-21 is optional
  'malformed/cdc__PHLIP_FLU_2.5.1_NO_MSH3.hl7': ['AA'], // the sender is known by MSH-4
  'malformed/cdc__PHLIP_FLU_2.5.1_NO_MSH4.hl7': ['AA'], // the sender is known by MSH-3
  'malformed/cdc__PHLIP_FLU_2.5.1_NO_MSH5.hl7': ['AA'], // receiving application is optional
  'malformed/cdc__PHLIP_FLU_2.5.1_NO_MSH6.hl7': ['AA'], // receiving facility is optional
  'malformed/cdc__PHLIP_FLU_2.5.1_NO_MSH7.hl7': ['AR', '101', 'MSH^1^7^1'],
  'malformed/cdc__PHLIP_FLU_2.5.1_NO_MSH9.hl7': ['AR', '101', 'MSH^1^9^1^1'],
  'malformed/cdc__PHLIP_FLU_2.5.1_NO_PROFILE_IDENTIFIER.hl7': ['AA'],
  'malformed/cdc__PHLIP_FLU_2.5.1_OBX2CWE_OBX5ST.hl7': ['AA', '102', 'OBX^1^5^1^3'], // kept as text, with a warning
  'malformed/cdc__PHLIP_FLU_2.5.1_PID5_ERROR.hl7': ['AA'], // "Pid5" is a (strange) family name
  'malformed/cdc__PHLIP_FLU_2.5.1_TWO_OBX_WITH_SAME_OBX3_AND_OBX4.hl7': ['AE', '205', 'OBX^4^3^1'],
  'malformed/cdc__PHLIP_FLU_2.5.1_TWO_OBX_WITH_SAME_OBX3_DIFF_OBX4.hl7': ['AA'], // OBX-4 tells them apart
  'malformed/cdc__PHLIP_FLU_2.5.1_TWO_OBX_WITH_SAME_OBX3_NULL_OBX4.hl7': ['AA'], // one OBX-4 is set: still distinct
  'malformed/cdc__PHLIP_FLU_2.5.1_WITH_PID22.1_NO_PID22.3.hl7': ['AA'], // PID-22 (ethnicity) is not mapped
  'malformed/cdc__empty.hl7': ['AR', '100', ''],
  'edge-cases/cdc__GenV1_Batch_No_headers_twoMSH.hl7': ['AR', '100', 'MSH^2'],
  'edge-cases/cdc__case-batch-all-valid.hl7': ['AR', '100', 'MSH^2'],
  'edge-cases/hapi__cv.04_001_chem.hl7': ['AR', '200', 'MSH^1^9'], // ERP^Z99; v2.3.1: ERR-1 form
  'edge-cases/hapi__segmentfinder_a24.hl7': ['AR', '201', 'MSH^1^9'], // ADT^A24; its exotic separators are read, and used in the ACK
};

describe('malformed and edge-case samples', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_HL7_TIMEZONE: 'America/Toronto' } });
  });
  after(() => t.close());

  test('every sample of malformed/ and edge-cases/ has an expected outcome', () => {
    const files = ['malformed', 'edge-cases'].flatMap((dir) => readdirSync(resolve(FIXTURES, dir)).map((f) => `${dir}/${f}`));
    assert.equal(files.filter((f) => f.startsWith('malformed/')).length, 31);
    assert.deepEqual(files.sort(), Object.keys(EXPECTED).sort());
  });

  for (const [file, [ack, code, location]] of Object.entries(EXPECTED)) {
    test(`${file} → ${ack}${code ? ` ${code}` : ''}`, async () => {
      // Several samples are variants of one message with the same sender and MSH-10: forget earlier ones, so
      // that each is judged on its own and not as a re-send (idempotency is tested in gateway.test.ts).
      await t.carnet.db.query('DELETE FROM hl7v2_message');
      const count = async () => ((await t.request('GET', '/fhir/Provenance?_total=accurate&_count=1')).body as Bundle).total ?? 0;
      const before = await count();
      const response = await t.carnet.server.inject({ method: 'POST', url: '/hl7v2', headers: { 'content-type': 'x-application/hl7-v2+er7', authorization: `Bearer ${await t.systemToken()}` }, payload: fixture(file) });
      const answer = msa(response.body);
      assert.equal(answer.code, ack, response.body);
      if (code) {
        assert.equal(answer.err?.code, code, response.body);
        assert.equal(answer.err?.location, location, response.body);
      } else {
        assert.equal(answer.err, undefined, response.body);
      }
      assert.equal(await count(), before + (ack === 'AA' ? 1 : 0), 'one Provenance per accepted message, nothing otherwise');
    });
  }
});
