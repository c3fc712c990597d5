import { searchRegistry } from '../search/registry.js';
import { patientsByIdentifier } from '../../storage/lookup-store.js';
import { errors } from '../outcomes.js';
import type { HandlerInput } from '../router/types.js';

/**
 * The Patient an `identifier=system|value` designates, among those the reader may see (an IPS
 * `Patient/$summary?identifier=`). Several source records of one person (the MPI links them) are one
 * answer; records of different persons are refused (412, as for conditional interactions).
 */
export async function resolvePatientByIdentifier({ request, reader, ctx }: HandlerInput, identifier: string): Promise<string> {
  const bar = identifier.indexOf('|');
  const system = bar >= 0 ? identifier.slice(0, bar) : undefined;
  const value = bar >= 0 ? identifier.slice(bar + 1) : identifier;
  if (!value) throw errors.invalid('identifier: give system|value (or a value)');
  const param = searchRegistry().params('Patient').get('identifier');
  if (!param) throw errors.notSupported('Patient identifier search is not indexed');
  const rows = await patientsByIdentifier(reader, { param: param.key, system, value, withPersons: Boolean(ctx.mpi), visibility: request.visibility, limit: 50 });
  const first = rows[0];
  if (!first) throw errors.notFound(`No patient has the identifier ${identifier}`);
  const persons = new Set(rows.map((r) => r.personId ?? `patient:${r.id}`));
  if (persons.size > 1) throw errors.preconditionFailed(`The identifier ${identifier} designates ${persons.size} different persons; use Patient/[id]/$summary`);
  return first.id;
}
