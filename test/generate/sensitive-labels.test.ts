import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Resource } from '@medplum/fhirtypes';
import { categoriesOf, type Category } from '../../src/consent/categories.js';
import type { GroundTruth } from '../../src/generate/ground-truth.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { professionalToken, seedDirectory } from '../support/auth.js';
import { loadTestPopulation } from '../support/population.js';

/** The generator's sensitive categories, as the ground truth names them, and their consent labels. */
const LABEL_OF: Record<string, Category> = { 'mental-health': 'MH', 'substance-use': 'SUD', 'sexual-health': 'SEX' };

/**
 * The demo population carries no security labels (source systems rarely send them); Carnet labels the
 * sensitive resources at write time, and consent then hides them from professionals of other organisations.
 */
describe('the generated population under consent', () => {
  let t: TestCarnet;
  let truth: GroundTruth;
  before(async () => {
    t = await startTestCarnet();
    await seedDirectory(t);
    ({ groundTruth: truth } = await loadTestPopulation(t, { persons: 25 }, 'Organization/org-a'));
  });
  after(() => t.close());

  async function stored(reference: string): Promise<{ resource: Resource; patient: string | null }> {
    const [type, id] = reference.split('/');
    const { rows } = await t.carnet.db.query<{ content: string; patient_id: string | null }>('SELECT content, patient_id FROM resource WHERE resource_type = $1 AND id = $2', [type, id]);
    assert.ok(rows[0], `${reference} is stored`);
    return { resource: JSON.parse(rows[0].content) as Resource, patient: rows[0].patient_id };
  }

  test('every resource the ground truth calls sensitive is labelled with its category at write time', async () => {
    let checked = 0;
    for (const [category, references] of Object.entries(truth.sensitive)) {
      const label = LABEL_OF[category];
      assert.ok(label, `a label for ${category}`);
      for (const reference of references) {
        const { resource } = await stored(reference);
        assert.ok(categoriesOf(resource).includes(label), `${reference} labelled ${label}: ${JSON.stringify(resource.meta?.security)}`);
        checked++;
      }
    }
    assert.ok(checked >= 10, `${checked} sensitive resources checked`);
  });

  test('a professional of another organisation cannot read them, but reads the rest of the same record', async () => {
    const token = await professionalToken(t, 'dr-b-demo', 'physician', 'dr-b');
    const sensitive = Object.values(truth.sensitive).flat().find((r) => r.startsWith('Condition/')) as string;
    assert.ok(sensitive, 'a sensitive Condition exists');
    const hidden = await stored(sensitive);
    assert.ok([403, 404].includes((await t.request('GET', `/fhir/${sensitive}`, { token })).status), 'hidden');
    const search = await t.request('GET', `/fhir/Condition?patient=Patient/${hidden.patient}&_count=200`, { token });
    assert.equal(search.status, 200);
    const found = (search.body.entry ?? []).map((e: { resource: Resource }) => `Condition/${e.resource.id}`);
    assert.ok(!found.includes(sensitive), 'not in a search either');
    assert.equal((await t.request('GET', `/fhir/Patient/${hidden.patient}`, { token })).status, 200, 'the rest of the record is readable');
  });
});
