import type { Parameters as FhirParameters } from '@medplum/fhirtypes';
import { mayBreakGlass } from '../../access/roles.js';
import { reachOf } from '../../access/scopes.js';
import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { readCurrent } from '../../storage/resource-store.js';
import { insertGrant } from '../../storage/break-glass-store.js';

/** POST Patient/[id]/$break-the-glass — an emergency override with a stated reason, limited in time. */
export const breakTheGlass: Handler = async ({ request, ctx, reader, params }) => {
  const principal = request.access?.principal;
  if (!principal) throw errors.forbidden('Break-the-glass is for professionals');
  if (!mayBreakGlass(principal.role) || principal.kind !== 'user') throw errors.forbidden('Only a physician, nurse or pharmacist may break the glass');
  if (reachOf(principal.scopes, 'Patient', 'r') !== 'all') throw errors.forbidden('Break-the-glass needs a user/ scope that reads Patient');
  const body = request.body as FhirParameters | undefined;
  if (body?.resourceType !== 'Parameters') throw errors.invalid('Send a Parameters resource with a "reason" (valueString)');
  const reason = body.parameter?.find((p) => p.name === 'reason')?.valueString?.trim() ?? '';
  if (reason.length < 10) throw errors.invalid('State the reason for the emergency access (at least 10 characters)');
  const maxMinutes = ctx.breakGlassMinutes ?? 240;
  const askedMinutes = body.parameter?.find((p) => p.name === 'minutes')?.valueInteger;
  const minutes = Math.min(askedMinutes ?? maxMinutes, maxMinutes);
  if (!Number.isInteger(minutes) || minutes < 1) throw errors.invalid('minutes must be a positive integer');
  const id = params.id as string;
  const patient = await readCurrent(reader, 'Patient', id);
  if (!patient || patient.deleted) throw errors.notFound(`Patient/${id} does not exist`);
  const now = ctx.clock();
  const expires = new Date(now.getTime() + minutes * 60_000);
  const grant = ctx.newId();
  await insertGrant(reader, { id: grant, actor: principal.subject, patientId: id, reason, grantedAt: now, expiresAt: expires });
  if (request.audit) {
    request.audit.entity(`Patient/${id}`, id);
    request.audit.decision(`break-the-glass granted until ${expires.toISOString()}`, 'ETREAT', true);
    request.audit.breakGlassReason = reason;
    request.audit.breakGlassExpires = expires.toISOString();
  }
  ctx.log.warn({ actor: principal.subject, grant }, 'break-the-glass access granted');
  const out: FhirParameters = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'grant', valueString: grant }, { name: 'patient', valueReference: { reference: `Patient/${id}` } },
      { name: 'expires', valueInstant: expires.toISOString() }, { name: 'reason', valueString: reason },
    ],
  };
  return { status: 200, body: out };
};
