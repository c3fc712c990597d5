import { SqlBuilder } from '../../storage/sql/builder.js';
import { searchRegistry } from '../search/registry.js';
import { visibleSql } from '../../storage/sql/visibility.js';
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
  const sql = new SqlBuilder();
  const systemCondition = system === undefined ? '' : system === '' ? ' AND t.system IS NULL' : ` AND t.system = ${sql.bind(system)}`;
  const { rows } = await reader.query<{ id: string; person_id: string | null }>(
    `SELECT r.id, m.person_id FROM search_token t JOIN resource r ON r.rid = t.rid
       LEFT JOIN mpi_record m ON ${ctx.mpi ? 'm.patient_id = r.id' : 'FALSE'}
      WHERE t.param = ${sql.bind(param.key, 'int')} AND t.code = ${sql.bind(value)}${systemCondition}
        AND r.resource_type = 'Patient' AND NOT r.deleted${visibleSql(request.visibility, 'r', sql)}
      ORDER BY r.id LIMIT 50`,
    sql.params,
  );
  const first = rows[0];
  if (!first) throw errors.notFound(`No patient has the identifier ${identifier}`);
  const persons = new Set(rows.map((r) => r.person_id ?? `patient:${r.id}`));
  if (persons.size > 1) throw errors.preconditionFailed(`The identifier ${identifier} designates ${persons.size} different persons; use Patient/[id]/$summary`);
  return first.id;
}
