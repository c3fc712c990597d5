import type { SqlBuilder } from '../storage/sql/builder.js';
import type { Visibility } from '../storage/sql/visibility.js';
import { identitiesOf, type Principal } from '../access/principal.js';
import { DIRECTORY_TYPES, mayBreakGlass, roleClass, roleTypes } from '../access/roles.js';
import { typesReached, type Permission } from '../access/scopes.js';
import { purposeOf } from '../access/policy.js';
import { contextPatients } from '../access/person-scope.js';
import { NARROWED_PROXY_TYPES } from '../access/minors.js';
import { personRecordsArraySql, personsOfSql } from '../storage/sql/person-records.js';
import { activeGrantPatients } from '../storage/break-glass-store.js';

/**
 * The policy engine's read decision compiled to SQL over a `resource` (or `resource_version`) row, for
 * every search path and for history: exactly `decideRead` (policy.ts), proven by the property tests.
 * Consent rules are read from `consent_rule` and break-the-glass grants from `break_glass` inside the
 * same statement, so a search costs no extra round trip.
 */
export function readVisibility(principal: Principal, now: Date, permission: Extract<Permission, 'r' | 's'> = 's'): Visibility {
  return (a, sql) => `(${typeCondition(principal, permission, a, sql)}) AND (${roleCondition(principal, now, a, sql)})`;
}

function typeCondition(principal: Principal, permission: Permission, a: string, sql: SqlBuilder): string {
  const reached = typesReached(principal.scopes, permission);
  const role = roleTypes(principal.role).read;
  const within = (types: string[]): string[] | '*' => {
    if (types.includes('*')) return role === '*' ? '*' : [...role];
    return role === '*' ? types : types.filter((t) => role.includes(t));
  };
  const anyOf = (types: string[] | '*') => (types === '*' ? 'TRUE' : types.length === 0 ? 'FALSE' : `${a}.resource_type = ANY(${sql.bind(types, 'text[]')})`);
  const parts: string[] = [];
  const all = within(reached.all);
  if (all === '*' || all.length > 0) parts.push(anyOf(all));
  const patient = within(reached.patient);
  if (patient === '*' || patient.length > 0) {
    const context = contextPatients(principal).length > 0 ? `${a}.patient_id = ANY(${sql.bind([...contextPatients(principal)], 'text[]')}) OR ` : '';
    parts.push(`(${anyOf(patient)} AND (${context}(${a}.patient_id IS NULL AND ${a}.resource_type = ANY(${sql.bind(DIRECTORY_TYPES, 'text[]')}))))`);
  }
  return parts.length === 0 ? 'FALSE' : parts.join(' OR ');
}

function roleCondition(principal: Principal, now: Date, a: string, sql: SqlBuilder): string {
  const directory = () => `(${a}.patient_id IS NULL AND ${a}.resource_type = ANY(${sql.bind(DIRECTORY_TYPES, 'text[]')}))`;
  switch (roleClass(principal.role)) {
    case 'own-record': {
      // A minor past the control age (access/minors.ts): their proxy keeps the Patient and Appointments only.
      const narrowed = principal.narrowed?.length
        ? ` AND NOT (${a}.patient_id = ANY(${sql.bind([...principal.narrowed], 'text[]')}) AND ${a}.resource_type <> ALL(${sql.bind([...NARROWED_PROXY_TYPES], 'text[]')}))`
        : '';
      return `(${a}.patient_id = ANY(${sql.bind(principal.patients, 'text[]')})${narrowed}) OR ${directory()}`;
    }
    case 'no-patient-data':
      return principal.role === 'privacy-officer' ? `${directory()} OR (${a}.resource_type = 'Consent' AND ${a}.patient_id IS NOT NULL)` : directory();
    case 'system':
      if (principal.platform) return 'TRUE';
      break;
    case 'professional':
      break;
  }
  const ids = sql.bind(identitiesOf(principal), 'text[]');
  const at = sql.bind(now.toISOString(), 'timestamptz');
  const purpose = sql.bind(purposeOf(principal));
  const patientless = `(${a}.patient_id IS NULL AND (${a}.resource_type = ANY(${sql.bind(DIRECTORY_TYPES, 'text[]')}) OR ${a}.author_org = ANY(${ids})))`;
  const period = `(c.period_start IS NULL OR c.period_start <= ${at}) AND (c.period_end IS NULL OR ${at} < c.period_end)`;
  // Consent is per person (consent/person-consent.ts): the rules of every record of the row's person.
  const person = personRecordsArraySql(`${a}.patient_id`);
  const denied = `EXISTS (SELECT 1 FROM consent_rule c WHERE c.patient_id = ANY(${person}) AND c.effect = 'deny' AND ${period}
      AND (c.actors IS NULL OR c.actors && ${ids}) AND (c.except_actors IS NULL OR NOT (c.except_actors && ${ids}))
      AND (c.categories IS NULL OR c.categories && ${a}.sensitivity)
      AND (c.resources IS NULL OR (${a}.resource_type || '/' || ${a}.id) = ANY(c.resources))
      AND (c.purposes IS NULL OR ${purpose} = ANY(c.purposes)))`;
  const sensitiveOk = `(${a}.sensitivity IS NULL OR ${a}.author_org = ANY(${ids}) OR NOT EXISTS (
      SELECT 1 FROM unnest(${a}.sensitivity) s(cat) WHERE NOT EXISTS (
        SELECT 1 FROM consent_rule c WHERE c.patient_id = ANY(${person}) AND c.effect = 'open' AND ${period}
          AND s.cat = ANY(c.categories) AND (c.actors IS NULL OR c.actors && ${ids}))))`;
  const glass = mayBreakGlass(principal.role)
    ? `${a}.patient_id IN (${personsOfSql(activeGrantPatients(sql.bind(principal.subject), at))}) OR `
    : '';
  return `${patientless} OR (${a}.patient_id IS NOT NULL AND (${glass}(NOT ${denied} AND ${sensitiveOk})))`;
}

