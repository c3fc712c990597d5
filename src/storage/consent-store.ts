import type { ConsentRule } from '../consent/rules.js';
import { personRules } from '../consent/person-consent.js';
import type { Queryable } from './database.js';
import { personRecordsArraySql, personsOfSql } from './sql/person-records.js';
import { activeGrantPatients } from './break-glass-store.js';

/** The compiled rules of enforced Consents (table consent_rule), kept in step with the Consent resources. */

type Row = Record<string, unknown>;

/** Replaces the rules of these Consents (inside the transaction that writes them). */
export async function replaceConsentRules(db: Queryable, consents: readonly { id: string; patientId: string | null; rules: readonly ConsentRule[] }[]): Promise<void> {
  if (consents.length === 0) return;
  await db.query('DELETE FROM consent_rule WHERE consent_id = ANY($1::text[])', [consents.map((c) => c.id)]);
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

/** The source records of $1's person (consent is per person: consent/person-consent.ts). */
const PERSON = personRecordsArraySql('$1::text');

/**
 * The consent rules of one patient's person (every source record linked to it) and whether `actor` holds
 * an active break-the-glass grant for that person (one round trip).
 */
export async function consentFacts(db: Queryable, patientId: string, actor: string | undefined, now: Date): Promise<{ rules: ConsentRule[]; breakGlass: boolean }> {
  const { rows } = await db.query<Row>(
    `SELECT consent_id, effect, actors, except_actors, categories, resources, purposes, period_start, period_end, NULL::boolean AS glass
       FROM consent_rule WHERE patient_id = ANY(${PERSON})
     UNION ALL
     SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true FROM (${personsOfSql(activeGrantPatients('$2::text', '$3::timestamptz'))}) active
      WHERE active.patient_id = $1`,
    [patientId, actor ?? null, now.toISOString()],
  );
  const iso = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
  const rules: ConsentRule[] = [];
  let breakGlass = false;
  for (const row of rows) {
    if (row.glass) {
      breakGlass = true;
      continue;
    }
    rules.push({
      consentId: row.consent_id as string, effect: row.effect as 'deny' | 'open',
      actors: (row.actors as string[] | null) ?? null, exceptActors: (row.except_actors as string[] | null) ?? null,
      categories: (row.categories as ConsentRule['categories']) ?? null, resources: (row.resources as string[] | null) ?? null,
      purposes: (row.purposes as string[] | null) ?? null, start: iso(row.period_start), end: iso(row.period_end),
    });
  }
  return { rules: personRules([{ patientId, rules }]), breakGlass };
}
