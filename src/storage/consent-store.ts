import type { ConsentRule } from '../consent/rules.js';
import { personRules } from '../consent/person-consent.js';
import type { Queryable } from './database.js';
import { SqlBuilder } from './sql/builder.js';
import { boolOrNull, isoOrNull, text, textsOrNull, type Row } from './sql/rows.js';
import { personRecordsArraySql, personsOfSql } from './sql/person-records.js';
import { activeGrantPatients } from './break-glass-store.js';

/** The compiled rules of enforced Consents (table consent_rule), kept in step with the Consent resources. */

/** Replaces the rules of these Consents (inside the transaction that writes them). */
export async function replaceConsentRules(db: Queryable, consents: readonly { id: string; patientId: string | null; rules: readonly ConsentRule[] }[]): Promise<void> {
  if (consents.length === 0) return;
  const b = new SqlBuilder();
  await db.query(`DELETE FROM consent_rule ${b.where(b.any('consent_id', consents.map((c) => c.id), 'text'))}`, b.params);
  const rules = consents.flatMap((c) => (c.patientId ? c.rules.map((r) => ({ ...r, patientId: c.patientId as string })) : []));
  if (rules.length === 0) return;
  // Lists travel as JSON (unnest cannot carry one array per row); NULL means "no condition".
  const json = (v: readonly string[] | null) => (v === null ? null : JSON.stringify(v));
  const list = (column: string) => `CASE WHEN ${column} IS NULL THEN NULL ELSE ARRAY(SELECT json_array_elements_text(${column}::json)) END`;
  await db.query(
    `INSERT INTO consent_rule (patient_id, consent_id, effect, actors, except_actors, categories, resources, purposes, period_start, period_end)
     SELECT u.p, u.c, u.e, ${list('u.a')}, ${list('u.x')}, ${list('u.k')}, ${list('u.r')}, ${list('u.u')}, u.s, u.n
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[])
         AS u(p, c, e, a, x, k, r, u, s, n)`,
    [
      rules.map((r) => r.patientId), rules.map((r) => r.consentId), rules.map((r) => r.effect),
      rules.map((r) => json(r.actors)), rules.map((r) => json(r.exceptActors)), rules.map((r) => json(r.categories)),
      rules.map((r) => json(r.resources)), rules.map((r) => json(r.purposes)), rules.map((r) => r.start), rules.map((r) => r.end),
    ],
  );
}

/**
 * The consent rules of one patient's person (every source record linked to it) and whether `actor` holds
 * an active break-the-glass grant for that person (one round trip).
 */
export async function consentFacts(db: Queryable, patientId: string, actor: string | undefined, now: Date): Promise<{ rules: ConsentRule[]; breakGlass: boolean }> {
  const b = new SqlBuilder();
  const patient = b.bind(patientId, 'text');
  const grants = activeGrantPatients(b.bind(actor ?? null, 'text'), b.bind(now.toISOString(), 'timestamptz'));
  // The rules of every source record of the patient's person (consent is per person: consent/person-consent.ts).
  const { rows } = await db.query<Row>(
    `SELECT consent_id, effect, actors, except_actors, categories, resources, purposes, period_start, period_end, NULL::boolean AS glass
       FROM consent_rule ${b.where(`patient_id = ANY(${personRecordsArraySql(patient)})`)}
     UNION ALL
     SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true FROM (${personsOfSql(grants)}) active ${b.where(`active.patient_id = ${patient}`)}`,
    b.params,
  );
  const rules: ConsentRule[] = [];
  let breakGlass = false;
  for (const row of rows) {
    if (boolOrNull(row, 'glass')) {
      breakGlass = true;
      continue;
    }
    rules.push({
      consentId: text(row, 'consent_id'), effect: text(row, 'effect') as 'deny' | 'open',
      actors: textsOrNull(row, 'actors'), exceptActors: textsOrNull(row, 'except_actors'),
      categories: textsOrNull(row, 'categories') as ConsentRule['categories'], resources: textsOrNull(row, 'resources'),
      purposes: textsOrNull(row, 'purposes'), start: isoOrNull(row, 'period_start'), end: isoOrNull(row, 'period_end'),
    });
  }
  return { rules: personRules([{ patientId, rules }]), breakGlass };
}

/**
 * Every source record of the persons who opted out of `purpose` (an active Consent rule that denies it
 * to everyone, for every category and resource), read once per export attempt.
 */
export async function optedOutRecords(q: Queryable, purpose: string, now: Date): Promise<string[]> {
  const b = new SqlBuilder();
  const at = b.bind(now.toISOString(), 'timestamptz');
  const deny = b.where(
    "c.effect = 'deny'", `${b.bind(purpose, 'text')} = ANY(c.purposes)`, 'c.actors IS NULL', 'c.categories IS NULL', 'c.resources IS NULL',
    `(c.period_start IS NULL OR c.period_start <= ${at})`, `(c.period_end IS NULL OR ${at} < c.period_end)`,
  );
  const { rows } = await q.query<Row>(personsOfSql(`SELECT c.patient_id FROM consent_rule c ${deny}`), b.params);
  return [...new Set(rows.map((r) => text(r, 'patient_id')))];
}

/** Every source record of the persons of these Patient ids (consent is per person; a Group's members, `patient=`). */
export async function personRecords(q: Queryable, patients: readonly string[]): Promise<string[]> {
  if (patients.length === 0) return [];
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(personsOfSql(`SELECT unnest(${b.bind([...patients], 'text[]')}) AS patient_id`), b.params);
  return [...new Set(rows.map((r) => text(r, 'patient_id')))];
}
