import type { Attachment, DiagnosticReport, DocumentReference, Identifier } from '@medplum/fhirtypes';
import { codeableConcept, fixedConcept } from '../../datatypes/coded.js';
import { identifierFromEi } from '../../datatypes/person.js';
import type { ParsedMessage } from '../../message/envelope.js';
import { problem } from '../../message/problems.js';
import type { Seg } from '../../message/segments.js';
import type { MappingContext } from '../context.js';
import { MessagePatients } from '../patient.js';
import { conv } from '../rules.js';
import { all, first } from '../structure.js';
import { requireTableValue } from '../tables.js';
import type { MappedMessage, PlannedResource } from '../types.js';
import { cdaOf, type CarriedDocument } from '../cda.js';
import { V2_0074, V2_0270 } from '../../../fhir/code-systems.js';

/**
 * MDM^T02 (original document notification and content) → DocumentReference holding the text, or — when TXA-2
 * says it is an imaging report (table 0270 DI, or a sender's `imaging-document-types` table) — an imaging
 * DiagnosticReport whose conclusion is the text. Upserted by TXA-12 unique document number. A CDA document in
 * an ED value (cda.ts) is imported as structured data instead, the way `$import-ccda` does.
 */

const IMAGING_TYPES = new Set(['DI', 'RAD', 'RR', 'IR']);

function attachments(ctx: MappingContext, obxs: readonly Seg[]): { text: string; attachments: Attachment[]; documents: CarriedDocument[] } {
  const lines: string[] = [];
  const list: Attachment[] = [];
  const documents: CarriedDocument[] = [];
  for (const obx of obxs) {
    const type = obx.get(2).trim().toUpperCase();
    if (type === 'ED') {
      const rep = obx.rep(5);
      const data = rep?.c(5).trim();
      if (!rep || !data) continue;
      if (rep.c(4).trim().toUpperCase() !== 'BASE64') throw problem.dataType(rep.loc(4), `embedded data must be Base64-encoded (ED-4 is "${rep.c(4)}")`);
      const subtype = rep.c(3).trim().toLowerCase();
      const attachment = { contentType: subtype ? `${(rep.c(2).trim() || 'application').toLowerCase()}/${subtype}` : 'application/octet-stream', data: data.replace(/\s+/g, '') };
      const cda = cdaOf(attachment, obx.loc(5));
      if (cda) documents.push(cda);
      else list.push(attachment);
    } else if (['TX', 'FT', 'ST', 'CE', 'CWE'].includes(type)) {
      const text = obx.reps(5).map((r) => (type === 'CE' || type === 'CWE' ? codeableConcept(ctx, r)?.text ?? r.text : r.text)).join('\n');
      if (text.trim()) lines.push(text);
    }
  }
  const text = lines.join('\n').trim();
  if (text) list.unshift({ contentType: 'text/plain; charset=utf-8', data: Buffer.from(text, 'utf8').toString('base64') });
  return { text, attachments: list, documents };
}

export function mapMdm(parsed: ParsedMessage, ctx: MappingContext): MappedMessage {
  const segments = parsed.segments.slice(1);
  const pid = first(segments, 'PID');
  if (!pid) throw problem.missing({ segment: 'PID', sequence: 1 }, 'a PID segment');
  const txa = first(segments, 'TXA');
  if (!txa) throw problem.missing({ segment: 'TXA', sequence: 1 }, 'a TXA segment (document header)');
  const patients = new MessagePatients();
  const patient = patients.add(ctx, pid, 'reference');
  const documentType = txa.get(2).trim();
  if (!documentType) throw problem.missing(txa.loc(2), 'TXA-2 document type');
  const numberRep = txa.rep(12);
  const identifier: Identifier | undefined = numberRep ? identifierFromEi(ctx, numberRep) : undefined;
  if (!identifier) throw problem.missing(txa.loc(12), 'TXA-12 unique document number');
  const completion = txa.get(17).trim();
  if (!completion) throw problem.missing(txa.loc(17), 'TXA-17 document completion status');
  const docStatus = requireTableValue(ctx, 'document-completion', completion, txa.loc(17));
  const { text, attachments: content, documents } = attachments(ctx, all(segments, 'OBX'));
  // A CDA is imported as structured data (its own DocumentReference keeps the original); what else the message carries is kept as before.
  if (documents.length > 0 && content.length === 0) return { patients: patients.plans, resources: [], merges: [], documents };
  if (content.length === 0) throw problem.missing({ segment: 'OBX', sequence: 1 }, 'the document content (OBX segments with TX, FT or ED values)');
  const date = (conv.instant(ctx, txa, 6) ?? conv.instant(ctx, txa, 4)) as string | undefined;
  const authors = conv.persons(ctx, txa, 9) as DocumentReference['author'];
  const subject = { reference: patient.ref };
  const imaging = IMAGING_TYPES.has(documentType) || ctx.profile.tables['imaging-document-types']?.[documentType] !== undefined;

  let planned: PlannedResource;
  if (imaging) {
    const obr = first(segments, 'OBR');
    const code = (obr ? codeableConcept(ctx, obr.rep(4)) : undefined) ?? fixedConcept(V2_0270, documentType);
    const report: DiagnosticReport = {
      resourceType: 'DiagnosticReport',
      identifier: [identifier],
      status: docStatus === 'final' ? 'final' : 'preliminary',
      category: [fixedConcept(V2_0074, 'RAD', 'Radiology')],
      code,
      subject,
      ...(conv.dateTime(ctx, txa, 4) ? { effectiveDateTime: conv.dateTime(ctx, txa, 4) as string } : {}),
      ...(date ? { issued: date } : {}),
      ...(authors ? { resultsInterpreter: authors as DiagnosticReport['resultsInterpreter'] } : {}),
      ...(text ? { conclusion: text } : {}),
      presentedForm: content,
    };
    planned = { ref: ctx.newRef(), resource: report, mode: 'upsert', identifier, source: txa.loc() };
  } else {
    const document: DocumentReference = {
      resourceType: 'DocumentReference',
      masterIdentifier: identifier,
      identifier: [identifier],
      status: 'current',
      docStatus: docStatus as DocumentReference['docStatus'],
      type: fixedConcept(V2_0270, documentType),
      subject,
      ...(date ? { date } : {}),
      ...(authors ? { author: authors } : {}),
      content: content.map((attachment) => ({ attachment })),
    };
    planned = { ref: ctx.newRef(), resource: document, mode: 'upsert', identifier, source: txa.loc() };
  }
  return { patients: patients.plans, resources: [planned], merges: [], ...(documents.length > 0 ? { documents } : {}) };
}
