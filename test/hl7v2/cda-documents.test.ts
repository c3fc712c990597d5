import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Binary, Bundle, DiagnosticReport, DocumentReference, Procedure, Resource } from '@medplum/fhirtypes';
import { cdaOf } from '../../src/hl7v2/mapping/cda.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { map, message } from './support.js';

/**
 * HL7 v2 carrying a CDA (issue #16): an MDM^T02 — or an ORU^R01 — whose OBX-5 ED holds a C-CDA document is
 * imported as structured data through the `$import-ccda` path (procedures, observations… with their codes,
 * the original XML as the document's Binary), in the message's transaction; a PDF in ED stays a document
 * attachment. The messages are built here from the repository's C-CDA fixture (test/fixtures/documents/
 * Operative_Note.xml, see its PROVENANCE.md).
 */
const CCDA = readFileSync(new URL('../../../test/fixtures/documents/Operative_Note.xml', import.meta.url));
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const b64 = (bytes: Buffer) => bytes.toString('base64');
const SCT = 'http://snomed.info/sct';

const msh = (type: string, control: string) => `MSH|^~\\&|EMR|HSJ^2.16.124.10.101.1.60.200^ISO|CARNET|QC|20261203101500-0500||${type}|${control}|P|2.5.1`;
const pid = 'PID|1||998991^^^HSJ&2.16.124.10.101.1.60.200&ISO^MR||Jones^Isabella^^^^^L||19470501|F';
function mdm(control: string, ed: string, number = control): Buffer {
  return message(msh('MDM^T02^MDM_T02', control), 'EVN|T02|20261203101500-0500', pid,
    `TXA|1|OP|AP|20261203101000-0500||||||||${number}^HSJ|||||AU`, `OBX|1|ED|11504-8^Surgical operation note^LN||${ed}||||||F`);
}
function oruWith(control: string, ed: string): Buffer {
  return message(msh('ORU^R01^ORU_R01', control), pid, `ORC|RE|P-${control}^EMR|${control}^LIS`,
    `OBR|1|P-${control}^EMR|${control}^LIS|11504-8^Surgical operation note^LN|||202612031000-0500|||||||||||||||202612031010-0500|||F`,
    `OBX|1|ED|11504-8^Surgical operation note^LN||${ed}||||||F`);
}

describe('a CDA in an ED value (pure)', () => {
  test('recognised by its media type and its ClinicalDocument root; other XML and PDFs are not', () => {
    const at = { segment: 'OBX', sequence: 1, field: 5 };
    assert.ok(cdaOf({ contentType: 'text/xml', data: b64(CCDA) }, at));
    assert.ok(cdaOf({ contentType: 'application/x-hl7-cda-level-one+xml', data: b64(CCDA) }, at));
    assert.equal(cdaOf({ contentType: 'application/pdf', data: b64(PDF) }, at), undefined);
    assert.equal(cdaOf({ contentType: 'text/xml', data: b64(Buffer.from('<?xml version="1.0"?><note>hi</note>')) }, at), undefined);
  });

  test('the MDM mapping hands the CDA to the import and makes no DocumentReference of it; a PDF stays an attachment', () => {
    const cda = map(mdm('C-1', `^TEXT^XML^Base64^${b64(CCDA)}`));
    assert.equal(cda.mapped.documents?.length, 1);
    assert.equal(cda.of<DocumentReference>('DocumentReference').length, 0);
    const pdf = map(mdm('C-2', `^application^pdf^Base64^${b64(PDF)}`));
    assert.equal(pdf.mapped.documents, undefined);
    assert.equal(pdf.of<DocumentReference>('DocumentReference')[0]?.content[0]?.attachment.contentType, 'application/pdf');
  });
});

describe('HL7 v2 MDM/ORU carrying a CDA, through the gateway', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_HL7_TIMEZONE: 'America/Toronto' } });
  });
  after(() => t.close());
  const search = async <T extends Resource>(query: string): Promise<T[]> => {
    const r = await t.request('GET', `/fhir/${query}`);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    return ((r.body as Bundle).entry ?? []).map((e) => e.resource as T);
  };
  const msa = (ack: string) => /MSA\|(\w+)/.exec(ack)?.[1];

  test('MDM^T02 with a C-CDA in OBX-5 ED: AA, the document lands as structured data with its original', async () => {
    const delivery = await t.carnet.hl7.receive(mdm('MDM-CDA-1', `^TEXT^XML^Base64^${b64(CCDA)}`));
    assert.equal(delivery.code, 'AA', delivery.ack);
    const procedures = await search<Procedure>(`Procedure?code=${encodeURIComponent(`${SCT}|274025005`)}`);
    assert.equal(procedures.length, 1, 'the operative note’s procedure, coded');
    const docs = await search<DocumentReference>('DocumentReference');
    const doc = docs.find((d) => d.content[0]?.attachment.contentType === 'text/xml') as DocumentReference;
    assert.ok(doc, 'the C-CDA’s DocumentReference');
    const binary = (await t.request('GET', `/fhir/${doc.content[0]?.attachment.url?.replace(/^.*\/fhir\//, '')}`)).body as Binary;
    assert.equal(Buffer.from(binary.data ?? '', 'base64').toString('utf8'), CCDA.toString('utf8'), 'the XML byte for byte');
    assert.equal((await search<Resource>('Composition')).length, 1);
    const again = await t.carnet.hl7.receive(mdm('MDM-CDA-1', `^TEXT^XML^Base64^${b64(CCDA)}`));
    assert.equal(again.outcome, 'duplicate');
  });

  test('ORU^R01 with a CDA in ED: imported the same way, no empty report; a PDF-only ORU keeps the PDF as the report’s form', async () => {
    assert.equal((await t.carnet.hl7.receive(oruWith('ORU-CDA-1', `^text^xml^Base64^${b64(CCDA)}`))).code, 'AA');
    const reports = await search<DiagnosticReport>('DiagnosticReport');
    assert.equal(reports.filter((r) => r.identifier?.some((i) => i.value?.startsWith('ORU-CDA-1'))).length, 0, 'no report shell for an order that only carried the CDA');
    assert.equal((await search<Procedure>(`Procedure?code=${encodeURIComponent(`${SCT}|274025005`)}`)).length, 1, 'the same document: filed in place, not twice');
    assert.equal((await t.carnet.hl7.receive(oruWith('ORU-PDF-1', `^application^pdf^Base64^${b64(PDF)}`))).code, 'AA');
    const pdf = (await search<DiagnosticReport>('DiagnosticReport')).find((r) => r.identifier?.some((i) => i.value?.startsWith('ORU-PDF-1')));
    assert.equal(pdf?.presentedForm?.[0]?.contentType, 'application/pdf');
    assert.ok(pdf?.meta?.tag?.some((tag) => tag.code === 'pdf-only'), 'a result that came as a PDF only is flagged');
  });

  test('MDM^T02 with a PDF in ED: a DocumentReference holding the PDF', async () => {
    assert.equal((await t.carnet.hl7.receive(mdm('MDM-PDF-1', `^application^pdf^Base64^${b64(PDF)}`))).code, 'AA');
    const doc = (await search<DocumentReference>('DocumentReference')).find((d) => d.masterIdentifier?.value === 'MDM-PDF-1');
    assert.equal(doc?.content[0]?.attachment.contentType, 'application/pdf');
    assert.equal(Buffer.from(doc?.content[0]?.attachment.data ?? '', 'base64').toString(), PDF.toString());
  });

  test('a CDA that is not C-CDA: AE naming OBX-5, nothing written', async () => {
    const before = (await search<Resource>('Composition')).length;
    const notCcda = Buffer.from('<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3"/></ClinicalDocument>');
    const delivery = await t.carnet.hl7.receive(mdm('MDM-BAD-1', `^TEXT^XML^Base64^${b64(notCcda)}`));
    assert.equal(delivery.code, 'AE');
    assert.equal(delivery.outcome, 'dead-letter');
    assert.match(delivery.ack, /OBX\^1\^5/);
    assert.equal((await search<Resource>('Composition')).length, before);
  });
});
