import type { Observation, Parameters, Patient, Resource } from '@medplum/fhirtypes';
import { checkRead } from '../access.js';
import { traceRows } from '../../audit/trail.js';
import { cardBundle, cardPayload, numericQr, SHC, signCard } from '../../documents/health-cards/card.js';
import { hasCode, refOf } from '../../documents/ips/facts.js';
import { loadPersonRecord } from '../../documents/record-store.js';
import { linkedPatientIds } from '../../mpi/store/link-store.js';
import { readCurrent } from '../../storage/resource-store.js';
import { bodyOfType } from '../interactions/respond.js';
import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';

/**
 * POST Patient/[id]/$health-cards-issue (SMART Health Cards IG): the person's immunizations and/or
 * laboratory results as a signed verifiable credential, read like a read of the Patient and through the
 * visibility condition of search (what the caller may not see is not on the card), audited.
 */
export const HEALTH_CARDS_ISSUE = 'https://spec.smarthealth.cards/OperationDefinition/health-cards-issue';
/** The most characters of a JWS one QR code holds (version 22, numeric mode), per the SHC specification. */
const QR_CHUNK = 1195;

const KINDS: Readonly<Record<string, { type: string; resource: 'Immunization' | 'Observation' }>> = {
  [SHC.immunization]: { type: SHC.immunization, resource: 'Immunization' }, Immunization: { type: SHC.immunization, resource: 'Immunization' },
  [SHC.laboratory]: { type: SHC.laboratory, resource: 'Observation' }, Observation: { type: SHC.laboratory, resource: 'Observation' },
};

/** The numeric QR content, in as many chunks as needed (`shc:/i/n/…` when more than one). */
export function qrChunks(jws: string): string[] {
  const n = Math.ceil(jws.length / QR_CHUNK);
  if (n <= 1) return [numericQr(jws)];
  const size = Math.ceil(jws.length / n);
  return Array.from({ length: n }, (_, i) => numericQr(jws.slice(i * size, (i + 1) * size)).replace('shc:/', `shc:/${i + 1}/${n}/`));
}

function onCard(resource: Resource): boolean {
  if (resource.resourceType === 'Immunization') return (resource as { status?: string }).status === 'completed';
  const o = resource as Observation;
  return ['final', 'amended', 'corrected'].includes(o.status) && hasCode(o.category ?? [], 'laboratory');
}

export const healthCardsIssue: Handler = async ({ request, ctx, reader, params }) => {
  const issuer = ctx.healthCards;
  if (!issuer) throw errors.notSupported('this server issues no SMART Health Cards');
  const body = bodyOfType(request, 'Parameters') as Parameters;
  const asked = (body.parameter ?? []).filter((p) => p.name === 'credentialType').map((p) => p.valueUri ?? p.valueString ?? '');
  if (asked.length === 0) throw errors.invalid('$health-cards-issue needs at least one credentialType (https://smarthealth.cards#immunization or #laboratory)');
  const kinds = asked.map((a) => KINDS[a]);
  const unknown = asked.filter((_, i) => !kinds[i]);
  if (unknown.length > 0) throw errors.invalid(`credentialType: Carnet issues immunization and laboratory cards, not ${unknown.join(', ')}`);
  const id = params.id as string;
  const row = await readCurrent(reader, 'Patient', id);
  if (!row) throw errors.notFound(`Patient/${id} does not exist`);
  if (row.deleted) throw errors.gone(`Patient/${id} was deleted`);
  await checkRead(request, ctx, reader, row);

  const types = [...new Set(kinds.map((k) => k?.resource as string))];
  const patientIds = ctx.mpi ? await linkedPatientIds(reader, id) : [id];
  const record = await loadPersonRecord(reader, patientIds, types, request.visibility);
  const chosen = record.visible.filter(onCard).sort((a, b) => refOf(a).localeCompare(refOf(b)));
  const patient = JSON.parse(row.content as string) as Patient;
  const parameter: NonNullable<Parameters['parameter']> = [];
  if (chosen.length > 0) {
    const payload = cardPayload(issuer.issuer, ctx.clock(), [...new Set(kinds.map((k) => k?.type as string))], cardBundle(patient, chosen));
    const jws = await signCard(payload, issuer.key);
    parameter.push({ name: 'verifiableCredential', valueString: jws });
    for (const chunk of qrChunks(jws)) parameter.push({ name: 'qrNumeric', valueString: chunk });
  }
  traceRows(request.audit, [{ resourceType: 'Patient', id, patientId: id }, ...chosen.map((r) => ({ resourceType: r.resourceType, id: r.id as string, patientId: record.patientOf.get(refOf(r)) ?? null }))]);
  return { status: 200, body: { resourceType: 'Parameters', parameter } };
};
