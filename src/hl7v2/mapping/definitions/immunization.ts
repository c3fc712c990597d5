import type { Immunization } from '@medplum/fhirtypes';
import { codeableConcept, fixedConcept } from '../../datatypes/coded.js';
import { organizationReference, personReference } from '../../datatypes/person.js';
import { parseNumber, quantity, unitOf } from '../../datatypes/quantity.js';
import type { ParsedMessage } from '../../message/envelope.js';
import { problem } from '../../message/problems.js';
import type { Seg } from '../../message/segments.js';
import type { MappingContext } from '../context.js';
import { orderIdentifier, UniqueKeys } from '../orders.js';
import { MessagePatients } from '../patient.js';
import { applyRules, conv, type FieldRule } from '../rules.js';
import { first, splitAt } from '../structure.js';
import { tableValue } from '../tables.js';
import type { MappedMessage, PlannedResource } from '../types.js';
import { V2_0443 } from '../../../fhir/code-systems.js';

/**
 * VXU^V04 → Immunization, one per ORC/RXA group, upserted by the filler order number (the registry's id of
 * the dose). RXA-21 = D marks a dose entered in error; OBX under RXA (funding, VIS) are not mapped.
 */

export const IMMUNIZATION_RULES: readonly FieldRule[] = [
  { to: 'vaccineCode', field: 5, as: conv.concept, required: true },
  { to: 'occurrenceDateTime', field: 3, as: conv.dateTime, required: true },
  { to: 'lotNumber', field: 15, as: conv.string },
  { to: 'expirationDate', field: 16, as: conv.date },
  { to: 'manufacturer', field: 17, as: (ctx, seg, field) => {
    const concept = codeableConcept(ctx, seg.rep(field));
    return concept?.text ? { display: concept.text } : undefined;
  } },
  { to: 'location', field: 11, as: (_ctx, seg, field) => {
    const rep = seg.rep(field);
    const display = rep ? [rep.c(4), rep.c(1)].map((s) => s.trim()).filter(Boolean).join(' / ') : '';
    return display ? { display } : undefined;
  } },
];


export function mapVxu(parsed: ParsedMessage, ctx: MappingContext): MappedMessage {
  const segments = parsed.segments.slice(1);
  const pid = first(segments, 'PID');
  if (!pid) throw problem.missing({ segment: 'PID', sequence: 1 }, 'a PID segment');
  const patients = new MessagePatients();
  const patient = patients.add(ctx, pid, 'reference');
  const { groups } = splitAt(segments, ['ORC']);
  if (groups.length === 0) throw problem.missing({ segment: 'ORC', sequence: 1 }, 'an ORC segment (one per vaccination)');
  const keys = new UniqueKeys();
  const resources: PlannedResource[] = [];
  for (const group of groups) {
    const orc = group[0] as Seg;
    const rxa = first(group, 'RXA');
    if (!rxa) throw problem.missing({ segment: 'RXA', sequence: orc.sequence }, `the RXA segment of ORC[${orc.sequence}]`);
    const identifier = orderIdentifier(ctx, [[orc, 3, 'FILL'], [orc, 2, 'PLAC']], orc.loc(3));
    keys.claim('Immunization', identifier, orc.loc(3), `ORC[${orc.sequence}]`);
    const completion = rxa.get(20).trim();
    const status = rxa.get(21).trim().toUpperCase() === 'D' ? 'entered-in-error' : ((completion && tableValue(ctx, 'immunization-status', completion)) ?? 'completed');
    const immunization = applyRules(ctx, rxa, {
      resourceType: 'Immunization',
      identifier: [identifier],
      status: status as Immunization['status'],
      vaccineCode: { text: '' },
      patient: { reference: patient.ref },
      occurrenceDateTime: '',
    } as Immunization, IMMUNIZATION_RULES);
    const source = rxa.get(9, 1).trim();
    if (source) immunization.primarySource = source === '00';
    const amountText = rxa.get(6).trim();
    if (amountText && amountText !== '999') immunization.doseQuantity = quantity(parseNumber(amountText, rxa.loc(6, 1)), unitOf(ctx, rxa.rep(7)));
    const rxr = first(group, 'RXR');
    const route = rxr ? codeableConcept(ctx, rxr.rep(1)) : undefined;
    const site = rxr ? codeableConcept(ctx, rxr.rep(2)) : undefined;
    if (route) immunization.route = route;
    if (site) immunization.site = site;
    const performers: NonNullable<Immunization['performer']> = [];
    const administering = personReference(ctx, rxa.rep(10));
    if (administering) performers.push({ function: fixedConcept(V2_0443, 'AP', 'Administering Provider'), actor: administering as NonNullable<Immunization['performer']>[number]['actor'] });
    const ordering = personReference(ctx, orc.rep(12));
    if (ordering) performers.push({ function: fixedConcept(V2_0443, 'OP', 'Ordering Provider'), actor: ordering as NonNullable<Immunization['performer']>[number]['actor'] });
    if (performers.length) immunization.performer = performers;
    if (status === 'not-done') {
      const reason = codeableConcept(ctx, rxa.rep(18));
      if (reason) immunization.statusReason = reason;
    }
    const enterer = organizationReference(orc.rep(17));
    if (enterer && !immunization.location) immunization.location = enterer as Immunization['location'];
    resources.push({ ref: ctx.newRef(), resource: immunization, mode: 'upsert', identifier, source: rxa.loc() });
  }
  return { patients: patients.plans, resources, merges: [] };
}
