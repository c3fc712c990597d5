/**
 * SQL fragments for "the source records of a person" over the MPI's `mpi_record` (patient_id → person_id):
 * consent is per person (consent/person-consent.ts), so the consent rules and break-the-glass grants that
 * govern a resource are those of every record linked to the same Person as its own record.
 */

/**
 * The source records of the person of `patientColumn` (itself included, also when the MPI does not know
 * it): correlated, two primary-key/index lookups on `mpi_record`.
 */
export function personRecordsSql(patientColumn: string): string {
  return `SELECT ${patientColumn} UNION ALL SELECT pm2.patient_id FROM mpi_record pm1 JOIN mpi_record pm2 ON pm2.person_id = pm1.person_id
      WHERE pm1.patient_id = ${patientColumn} AND pm2.patient_id <> ${patientColumn}`;
}

/** Every source record of the persons of the Patient ids `patientsSql` selects (uncorrelated: computed once). */
export function personsOfSql(patientsSql: string): string {
  return `SELECT q.patient_id FROM (${patientsSql}) q UNION SELECT pm2.patient_id FROM (${patientsSql}) q2
      JOIN mpi_record pm1 ON pm1.patient_id = q2.patient_id JOIN mpi_record pm2 ON pm2.person_id = pm1.person_id`;
}

/**
 * The same as an array, for `c.patient_id = ANY(…)` in a per-row test: the planner must compute the
 * person's few records first and then probe `consent_rule` by them. Written as `IN (subquery)` it may
 * flatten it into a semi-join driven by every rule of the table (all deny rules × the person lookup, per
 * row: search throughput then falls with the number of consents in the database).
 */
export function personRecordsArraySql(patientColumn: string): string {
  return `ARRAY(${personRecordsSql(patientColumn)})`;
}
