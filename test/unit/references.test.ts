import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { collectReferences, parseLocalReference, rewriteReferences } from '../../src/fhir/references.js';

describe('references', () => {
  test('parses relative, versioned and absolute local references', () => {
    assert.deepEqual(parseLocalReference('Patient/123'), { resourceType: 'Patient', id: '123' });
    assert.deepEqual(parseLocalReference('Patient/1/_history/4'), { resourceType: 'Patient', id: '1', versionId: '4' });
    assert.deepEqual(parseLocalReference('http://x.test/fhir/Observation/a-b', 'http://x.test/fhir'), { resourceType: 'Observation', id: 'a-b' });
  });

  test('ignores contained, external, urn and conditional references', () => {
    for (const ref of ['#p1', 'http://elsewhere.test/fhir/Patient/1', 'urn:uuid:0b1e', 'Patient?identifier=x|1', 'patient/1']) {
      assert.equal(parseLocalReference(ref, 'http://x.test/fhir'), undefined, ref);
    }
  });

  test('collects references everywhere, extensions and contained included', () => {
    const resource = {
      resourceType: 'Observation',
      subject: { reference: 'Patient/1' },
      extension: [{ url: 'x', valueReference: { reference: 'urn:uuid:a' } }],
      contained: [{ resourceType: 'Practitioner', id: 'p', extension: [{ url: 'y', valueReference: { reference: 'Organization/o' } }] }],
    };
    assert.deepEqual(collectReferences(resource).sort(), ['Organization/o', 'Patient/1', 'urn:uuid:a']);
  });

  test('rewrites mapped references and uri values, never the narrative', () => {
    const mapping = new Map([['urn:uuid:a', 'Patient/42']]);
    const input = {
      resourceType: 'Observation',
      text: { status: 'generated', div: 'urn:uuid:a' },
      subject: { reference: 'urn:uuid:a' },
      extension: [{ url: 'x', valueReference: { reference: 'urn:uuid:a' } }, { url: 'y', valueUri: 'urn:uuid:a' }],
      focus: [{ reference: 'Patient/7' }],
    };
    const out = rewriteReferences(input, mapping);
    assert.equal(out.subject.reference, 'Patient/42');
    assert.equal(out.extension[0]?.valueReference?.reference, 'Patient/42');
    assert.equal(out.extension[1]?.valueUri, 'Patient/42');
    assert.equal(out.text.div, 'urn:uuid:a');
    assert.equal(out.focus[0]?.reference, 'Patient/7');
    assert.equal(input.subject.reference, 'urn:uuid:a', 'the input is not mutated');
  });
});
