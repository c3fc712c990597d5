import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Composition, DiagnosticReport, Extension, Parameters } from '@medplum/fhirtypes';
import { flagPdfOnly, hasPdfOnlyTag, isPdfOnly } from '../../src/documents/pdf-only.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * The PDF-only flag (issue #16): a result that arrives only as a PDF is tagged on write, said so in $timeline
 * and $summary, searchable with _tag, counted per source organisation by $pdf-only-report; a corrected
 * version with structured results loses the tag.
 */
const PDF = { contentType: 'application/pdf', data: Buffer.from('%PDF-1.4 fake').toString('base64') };
const LOINC = 'http://loinc.org';
const TAG = 'urn:carnet:data-quality|pdf-only';

describe('PDF-only (pure)', () => {
  const report = (extra: Partial<DiagnosticReport>): DiagnosticReport => ({ resourceType: 'DiagnosticReport', status: 'final', code: { text: 'Bilan' }, presentedForm: [PDF], ...extra });
  test('a report with only PDFs is PDF-only; structured results, a coded conclusion or another form are not', () => {
    assert.ok(isPdfOnly(report({})));
    assert.ok(!isPdfOnly(report({ result: [{ reference: 'Observation/1' }] })));
    assert.ok(!isPdfOnly(report({ conclusionCode: [{ text: 'normal' }] })));
    assert.ok(!isPdfOnly(report({ presentedForm: [PDF, { contentType: 'text/plain', data: 'eA==' }] })));
    assert.ok(!isPdfOnly(report({ presentedForm: [] })));
    assert.ok(isPdfOnly({ resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { contentType: 'application/pdf; name=x.pdf' } }] }));
    assert.ok(!isPdfOnly({ resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { contentType: 'text/xml' } }] }));
  });
  test('the tag is added, kept once, and removed when the report gains results; other tags stay', () => {
    const tagged = flagPdfOnly(report({ meta: { tag: [{ system: 'urn:x', code: 'y' }] } }));
    assert.ok(hasPdfOnlyTag(tagged));
    assert.equal(tagged.meta?.tag?.length, 2);
    assert.equal(flagPdfOnly(tagged), tagged, 'unchanged');
    const corrected = flagPdfOnly({ ...tagged, result: [{ reference: 'Observation/1' }] });
    assert.deepEqual(corrected.meta?.tag, [{ system: 'urn:x', code: 'y' }]);
  });
});

describe('PDF-only through the server', () => {
  let t: TestCarnet;
  let patient: string;
  let reportId: string;
  before(async () => {
    t = await startTestCarnet();
    await t.request('PUT', '/fhir/Organization/lab-x', { body: { resourceType: 'Organization', id: 'lab-x', name: 'Laboratoire X' } });
    patient = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Pelletier' }], birthDate: '1975-02-02', managingOrganization: { reference: 'Organization/lab-x' } } })).body.id;
    const r = await t.request('POST', '/fhir/DiagnosticReport', { body: {
      resourceType: 'DiagnosticReport', status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] }],
      code: { coding: [{ system: LOINC, code: '24323-8' }], text: 'Bilan métabolique' }, subject: { reference: `Patient/${patient}` },
      effectiveDateTime: new Date(Date.now() - 86_400_000).toISOString(), presentedForm: [PDF],
    } });
    assert.equal(r.status, 201, r.text.slice(0, 300));
    reportId = r.body.id;
  });
  after(() => t.close());

  test('tagged on write, found with _tag, said so in $timeline and $summary, counted per source organisation', async () => {
    const stored = (await t.request('GET', `/fhir/DiagnosticReport/${reportId}`)).body as DiagnosticReport;
    assert.ok(hasPdfOnlyTag(stored));
    const found = (await t.request('GET', `/fhir/DiagnosticReport?_tag=${encodeURIComponent(TAG)}`)).body as Bundle;
    assert.deepEqual(found.entry?.map((e) => e.resource?.id), [reportId]);

    const timeline = (await t.request('GET', `/fhir/Patient/${patient}/$timeline`)).body as Bundle;
    const event = timeline.entry?.find((e) => e.resource?.id === reportId);
    const parts = (event?.extension?.[0]?.extension ?? []) as Extension[];
    assert.equal(parts.find((p) => p.url === 'pdf-only')?.valueBoolean, true);
    assert.match(parts.find((p) => p.url === 'label-fr')?.valueString ?? '', /PDF seulement/);
    assert.match(parts.find((p) => p.url === 'label-en')?.valueString ?? '', /PDF only/);

    const summary = (await t.request('GET', `/fhir/Patient/${patient}/$summary`)).body as Bundle;
    const composition = summary.entry?.[0]?.resource as Composition;
    const results = composition.section?.find((s) => s.code?.coding?.[0]?.code === '30954-2');
    assert.ok(results, 'the PDF-only laboratory report is in the results section');
    assert.match(results?.text?.div ?? '', /PDF seulement/);

    const report = await t.request('GET', '/fhir/$pdf-only-report');
    assert.equal(report.status, 200, report.text.slice(0, 300));
    const out = report.body as Parameters;
    assert.equal(out.parameter?.find((p) => p.name === 'total')?.valueInteger, 1);
    const source = out.parameter?.find((p) => p.name === 'source');
    assert.equal(source?.part?.find((p) => p.name === 'organization')?.valueReference?.reference, 'Organization/lab-x');
    assert.equal((await t.request('GET', '/fhir/$pdf-only-report', { token: null })).status, 401);
  });

  test('a corrected version with structured results is no longer flagged', async () => {
    const o = await t.request('POST', '/fhir/Observation', { body: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: LOINC, code: '2345-7' }] }, subject: { reference: `Patient/${patient}` }, valueQuantity: { value: 5.5, unit: 'mmol/L' } } });
    const current = (await t.request('GET', `/fhir/DiagnosticReport/${reportId}`)).body as DiagnosticReport;
    const r = await t.request('PUT', `/fhir/DiagnosticReport/${reportId}`, { body: { ...current, status: 'corrected', result: [{ reference: `Observation/${o.body.id}` }] } });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.ok(!hasPdfOnlyTag(r.body ?? (await t.request('GET', `/fhir/DiagnosticReport/${reportId}`)).body));
    assert.equal(((await t.request('GET', '/fhir/$pdf-only-report')).body as Parameters).parameter?.find((p) => p.name === 'total')?.valueInteger, 0);
  });
});
