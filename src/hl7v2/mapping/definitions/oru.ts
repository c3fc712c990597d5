import type { Attachment, CodeableConcept, DiagnosticReport, Identifier, Observation, Reference } from '@medplum/fhirtypes';
import { codeableConcept, fixedConcept } from '../../datatypes/coded.js';
import { toDateTime } from '../../datatypes/dates.js';
import { parseNumber, quantity, referenceRange, structuredNumeric, unitOf } from '../../datatypes/quantity.js';
import type { ParsedMessage } from '../../message/envelope.js';
import { problem } from '../../message/problems.js';
import type { Seg } from '../../message/segments.js';
import type { MappingContext } from '../context.js';
import { orderIdentifier, orderIdentifiers, UniqueKeys } from '../orders.js';
import { MessagePatients } from '../patient.js';
import { applyRules, conv, type FieldRule } from '../rules.js';
import { first, notes, splitAt } from '../structure.js';
import { requireTableValue, tableValue } from '../tables.js';
import type { MappedMessage, PatientPlan, PlannedResource } from '../types.js';
import { cdaOf, type CarriedDocument } from '../cda.js';
import { OBS_CATEGORY, V2_0074, V3_OBS_INTERP } from '../../../fhir/code-systems.js';

/**
 * ORU^R01 → DiagnosticReport (per OBR) + Observation (per OBX). Each is upserted by identifier, so a
 * corrected result (OBX-11 = C) becomes a new version of the same Observation, never a second one.
 */

const V3_INTERPRETATION = V3_OBS_INTERP;
const OBSERVATION_CATEGORY = OBS_CATEGORY;

/** OBX-8 (repeating abnormal flags) → Observation.interpretation. */
const interpretation = (ctx: MappingContext, seg: Seg, field: number) => {
  const list: CodeableConcept[] = [];
  for (const rep of seg.reps(field)) {
    const flag = rep.c(1).trim();
    const code = tableValue(ctx, 'abnormal-flag', flag);
    if (code) list.push(fixedConcept(V3_INTERPRETATION, code));
    else ctx.warnings.push(problem.warning('103', `abnormal flag "${flag}" is not in table 0078; left out`, rep.loc(1)));
  }
  return list.length ? list : undefined;
};

/** OBX → Observation: the fields that do not depend on the value type. */
export const OBSERVATION_RULES: readonly FieldRule[] = [
  { to: 'code', field: 3, as: (ctx, seg, field) => codeableConcept(ctx, seg.rep(field), { translate: true }), required: true },
  { to: 'interpretation', field: 8, as: interpretation },
  { to: 'effectiveDateTime', field: 14, as: conv.dateTime },
  { to: 'performer', field: 16, as: conv.persons },
  { to: 'method', field: 17, as: conv.concept },
];

/** OBR → DiagnosticReport. */
export const REPORT_RULES: readonly FieldRule[] = [
  { to: 'code', field: 4, as: conv.concept, required: true },
  { to: 'effectiveDateTime', field: 7, as: conv.dateTime },
  { to: 'issued', field: 22, as: conv.instant },
  {
    to: 'resultsInterpreter', field: 32, as: (_ctx, seg, field) => {
      const rep = seg.rep(field);
      // NDL: the person is in the subcomponents of component 1.
      const name = rep ? [rep.s(1, 3), rep.s(1, 2)].filter(Boolean).join(' ') : '';
      return name ? [{ display: name }] : undefined;
    },
  },
];

const TIME = /^(\d{2})(\d{2})?(\d{2})?(\.\d+)?/;

type ObservationValue = Partial<Pick<Observation,
  'valueQuantity' | 'valueString' | 'valueCodeableConcept' | 'valueDateTime' | 'valueTime' | 'valueRange' | 'valueRatio'>>;

/** OBX-5 by its OBX-2 value type. ED values become attachments of the report instead. */
function observationValue(ctx: MappingContext, obx: Seg): ObservationValue | { attachment: Attachment } | undefined {
  const type = obx.get(2).trim().toUpperCase();
  const reps = obx.reps(5);
  const rep = reps[0];
  if (!rep) return undefined;
  if (!type) throw problem.missing(obx.loc(2), 'OBX-2 value type (OBX-5 holds a value)');
  const unit = unitOf(ctx, obx.rep(6));
  switch (type) {
    case 'NM':
      return { valueQuantity: quantity(parseNumber(rep.c(1), rep.loc(1)), unit) };
    case 'SN': {
      const sn = structuredNumeric(rep, unit);
      return sn.kind === 'quantity' ? { valueQuantity: sn.value } : sn.kind === 'range' ? { valueRange: sn.value } : { valueRatio: sn.value };
    }
    case 'CQ':
      return { valueQuantity: quantity(parseNumber(rep.c(1), rep.loc(1)), unitOf(ctx, rep.sub(2)) ?? unit) };
    case 'NR': {
      const low = rep.c(1).trim();
      const high = rep.c(2).trim();
      return {
        valueRange: {
          ...(low ? { low: quantity(parseNumber(low, rep.loc(1)), unit) } : {}),
          ...(high ? { high: quantity(parseNumber(high, rep.loc(2)), unit) } : {}),
        },
      };
    }
    case 'ST': case 'TX': case 'FT': case 'ID': case 'IS': case 'HD': case 'RP': case 'XCN': case 'XAD': case 'XPN': case 'XON': case 'EI': case 'CX':
      return { valueString: reps.map((r) => r.text).join('\n') };
    case 'CE': case 'CWE': case 'CNE': case 'CF': {
      const concept = codeableConcept(ctx, rep);
      if (reps.length > 1) ctx.warnings.push(problem.warning('102', `only the first of ${reps.length} coded values is kept`, obx.loc(5)));
      return concept ? { valueCodeableConcept: concept } : undefined;
    }
    case 'DT': case 'DTM': case 'TS':
      return { valueDateTime: toDateTime(rep.c(1), rep.loc(1), ctx.profile.timezone) };
    case 'TM': {
      const m = TIME.exec(rep.c(1).trim());
      if (!m) throw problem.dataType(rep.loc(1), `"${rep.c(1)}" is not a time (HHMM[SS])`);
      return { valueTime: `${m[1]}:${m[2] ?? '00'}:${m[3] ?? '00'}` };
    }
    case 'ED': {
      const [mediaType, subtype, encoding, data] = [rep.c(2), rep.c(3), rep.c(4), rep.c(5)].map((s) => s.trim()) as [string, string, string, string];
      const contentType = subtype ? `${(mediaType || 'application').toLowerCase()}/${subtype.toLowerCase()}` : 'application/octet-stream';
      if (!data) return undefined;
      if (encoding.toUpperCase() !== 'BASE64') throw problem.dataType(rep.loc(4), `embedded data must be Base64-encoded (ED-4 is "${encoding}")`);
      if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(data)) throw problem.dataType(rep.loc(5), 'embedded data is not valid Base64');
      return { attachment: { contentType, data: data.replace(/\s+/g, '') } };
    }
    default:
      throw problem.dataType(obx.loc(2), `value type "${type}" is not supported`);
  }
}

/** A result is the same result again when its order, OBX-3 code and OBX-4 sub-id are the same. */
function resultKey(report: Identifier, obx: Seg): string {
  const code = obx.rep(3);
  const system = code?.c(3).trim() || 'L';
  const sub = obx.get(4).trim();
  return [report.value, system, code?.c(1).trim() ?? '', ...(sub ? [sub] : [])].join('/');
}

function mapOrder(ctx: MappingContext, patient: PatientPlan, order: readonly Seg[], keys: UniqueKeys, out: PlannedResource[], documents: CarriedDocument[]): void {
  const obr = first(order, 'OBR');
  const orc = first(order, 'ORC');
  if (!obr) throw problem.sequence((orc as Seg).loc(), 'an ORC must be followed by its OBR');
  const candidates: [Seg | undefined, number, 'FILL' | 'PLAC'][] = [[obr, 3, 'FILL'], [orc, 3, 'FILL'], [obr, 2, 'PLAC'], [orc, 2, 'PLAC']];
  const orderId = orderIdentifier(ctx, candidates, obr.loc(3));
  // Labs reuse one accession number for several OBRs (tests of one specimen): the test code completes the key.
  const reportId: Identifier = { system: orderId.system as string, value: [orderId.value, obr.get(4, 3).trim() || 'L', obr.get(4, 1).trim()].join('/') };
  keys.claim('DiagnosticReport', reportId, obr.loc(4), `OBR[${obr.sequence}]`);
  const subject: Reference = { reference: patient.ref };
  const results: Reference[] = [];
  const presentedForm: Attachment[] = [];
  const reportEffective = conv.dateTime(ctx, obr, 7) as string | undefined;
  const issued = conv.instant(ctx, obr, 22) as string | undefined;
  const { head, groups } = splitAt(order.slice(order.indexOf(obr) + 1), ['OBX']);
  const carried = documents.length;

  for (const group of groups) {
    const obx = group[0] as Seg;
    const value = observationValue(ctx, obx);
    if (value && 'attachment' in value) {
      // A CDA is imported as structured data (like $import-ccda); any other attachment is the report's presented form.
      const cda = cdaOf(value.attachment, obx.loc(5));
      if (cda) documents.push(cda);
      else presentedForm.push(value.attachment);
      continue;
    }
    const statusCode = obx.get(11).trim();
    if (!statusCode) throw problem.missing(obx.loc(11), 'OBX-11 observation result status');
    const identifier: Identifier = { system: reportId.system as string, value: resultKey(reportId, obx) };
    keys.claim('Observation', identifier, obx.loc(3), `OBX[${obx.sequence}]`);
    const observation = applyRules(ctx, obx, {
      resourceType: 'Observation',
      identifier: [identifier],
      status: requireTableValue(ctx, 'observation-status', statusCode, obx.loc(11)) as Observation['status'],
      category: [fixedConcept(OBSERVATION_CATEGORY, 'laboratory', 'Laboratory')],
      code: { text: '' },
      subject,
    } as Observation, OBSERVATION_RULES);
    if (!observation.effectiveDateTime && reportEffective) observation.effectiveDateTime = reportEffective;
    if (issued) observation.issued = issued;
    if (value) Object.assign(observation, value);
    const range = referenceRange(obx.text(7), unitOf(ctx, obx.rep(6)));
    if (range) observation.referenceRange = [range];
    const note = notes(group);
    if (note) observation.note = note;
    const ref = ctx.newRef();
    results.push({ reference: ref });
    out.push({ ref, resource: observation, mode: 'upsert', identifier, source: obx.loc() });
  }

  // An order that only carried a CDA is the CDA's import; no empty report is made for it.
  if (results.length === 0 && presentedForm.length === 0 && documents.length > carried) return;
  const statusCode = obr.get(25).trim();
  const report = applyRules(ctx, obr, {
    resourceType: 'DiagnosticReport',
    identifier: [...orderIdentifiers(ctx, candidates), reportId],
    status: (statusCode ? requireTableValue(ctx, 'report-status', statusCode, obr.loc(25)) : 'unknown') as DiagnosticReport['status'],
    category: [fixedConcept(V2_0074, obr.get(24).trim() || 'LAB')],
    code: { text: '' },
    subject,
  } as DiagnosticReport, REPORT_RULES);
  if (!statusCode) ctx.warnings.push(problem.warning('101', 'OBR-25 result status is empty: the report status is "unknown"', obr.loc(25)));
  if (results.length) report.result = results as DiagnosticReport['result'];
  if (presentedForm.length) report.presentedForm = presentedForm;
  const conclusion = notes(head);
  if (conclusion) report.conclusion = conclusion.map((n) => n.text).join('\n');
  out.push({ ref: ctx.newRef(), resource: report, mode: 'upsert', identifier: reportId, source: obr.loc() });
}

export function mapOru(parsed: ParsedMessage, ctx: MappingContext): MappedMessage {
  const { head, groups } = splitAt(parsed.segments.slice(1), ['PID']);
  if (groups.length === 0) throw problem.missing({ segment: 'PID', sequence: 1 }, 'a PID segment (results must belong to a patient)');
  const stray = head.find((s) => s.name === 'OBR' || s.name === 'OBX');
  if (stray) throw problem.sequence(stray.loc(), `${stray.name} before any PID`);
  const patients = new MessagePatients();
  const resources: PlannedResource[] = [];
  const keys = new UniqueKeys();
  const documents: CarriedDocument[] = [];
  for (const group of groups) {
    const patient = patients.add(ctx, group[0] as Seg, 'reference');
    const { head: patientHead, groups: orders } = splitAt(group.slice(1), ['ORC', 'OBR']);
    const obx = patientHead.find((s) => s.name === 'OBX');
    if (obx) throw problem.sequence(obx.loc(), 'OBX before any OBR');
    if (orders.length === 0) throw problem.missing({ segment: 'OBR', sequence: 1 }, 'an OBR segment');
    for (const order of orders) mapOrder(ctx, patient, order, keys, resources, documents);
  }
  return { patients: patients.plans, resources, merges: [], ...(documents.length > 0 ? { documents } : {}) };
}
