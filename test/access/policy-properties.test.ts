import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { decideRead, type ResourceFacts } from '../../src/access/policy.js';
import type { Principal } from '../../src/access/principal.js';
import { DIRECTORY_TYPES, ROLES, roleTypes, type Role } from '../../src/access/roles.js';
import { parseScopes } from '../../src/access/scopes.js';
import { readVisibility } from '../../src/consent/visibility-sql.js';
import type { Category } from '../../src/consent/categories.js';
import type { ConsentRule } from '../../src/consent/rules.js';
import { SqlBuilder } from '../../src/storage/sql/builder.js';
import { replaceConsentRules } from '../../src/storage/consent-store.js';
import type { Database } from '../../src/storage/database.js';
import { migrate } from '../../src/storage/migrate.js';
import { openTestDatabase } from '../support/harness.js';

/**
 * The policy engine against a simple reference model written from the specification (random principals,
 * resources, consents and grants), and its SQL form (what every search applies) against the engine itself,
 * on a real database.
 */
const TYPES = ['Patient', 'Observation', 'Condition', 'Consent', 'Organization', 'Practitioner', 'Binary', 'MedicationRequest', 'AuditEvent'];
const PATIENTS = ['p1', 'p2', 'p3'];
const ORGS = ['Organization/a', 'Organization/b'];
const PEOPLE = ['Practitioner/x', 'Practitioner/y'];
const SCOPES = ['patient/*.rs', 'user/*.rs', 'system/*.rs', 'user/Observation.rs', 'patient/Observation.r', 'system/Observation.s', 'user/*.cruds', 'patient/Condition.rs', 'system/*.cruds', 'user/Patient.s'];
const NOW = new Date('2025-06-15T12:00:00Z');
const DATES = ['2025-01-01T00:00:00.000Z', '2025-06-15T12:00:00.000Z', '2025-12-31T00:00:00.000Z'];

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const subset = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });

const principalArb: fc.Arbitrary<Principal> = fc.record({
  role: fc.constantFrom(...ROLES),
  org: fc.option(fc.constantFrom(...ORGS), { nil: undefined }),
  person: fc.option(fc.constantFrom(...PEOPLE), { nil: undefined }),
  patients: fc.subarray(PATIENTS),
  // Minors past the control age (access/minors.ts): their proxy keeps Patient and Appointment only.
  narrowed: fc.subarray(PATIENTS),
  launch: fc.option(fc.constantFrom(...PATIENTS), { nil: undefined }),
  scopes: fc.subarray(SCOPES, { minLength: 1, maxLength: 3 }),
  platform: fc.boolean(),
  subject: fc.constantFrom('u1', 'u2'),
}).map((g) => ({
  kind: g.role === 'system' ? 'client' : 'user', subject: g.subject, clientId: 'c', role: g.role as Role, display: 'x',
  ...(g.person ? { fhirUser: g.person } : {}), ...(g.org ? { organization: g.org } : {}),
  patients: g.patients, ...(g.narrowed.length && (g.role === 'patient' || g.role === 'proxy') ? { narrowed: g.narrowed.filter((n) => g.patients.includes(n)) } : {}),
  ...(g.launch ? { launchPatient: g.launch } : {}), scopes: parseScopes(g.scopes.join(' ')),
  platform: g.role === 'system' && g.platform, tokenId: 't',
}) as Principal);

const resourceArb: fc.Arbitrary<ResourceFacts> = fc.record({
  type: fc.constantFrom(...TYPES), id: fc.constantFrom('r1', 'r2', 'r3'), patientId: maybe(fc.constantFrom(...PATIENTS)),
  authorOrg: maybe(fc.constantFrom(...ORGS)), sensitivity: fc.subarray<Category>(['MH', 'HIV']),
});

const ruleArb: fc.Arbitrary<ConsentRule> = fc.record({
  consentId: fc.constantFrom('c1', 'c2'), effect: fc.constantFrom('deny' as const, 'open' as const),
  actors: maybe(subset([...ORGS, ...PEOPLE])), exceptActors: maybe(subset([...ORGS, ...PEOPLE])),
  categories: maybe(subset<Category>(['MH', 'HIV', 'SEX'])), resources: maybe(subset(['Observation/r1', 'Condition/r2', 'Patient/r3'])),
  purposes: maybe(subset(['TREAT', 'HRESCH'])), start: maybe(fc.constantFrom(...DATES)), end: maybe(fc.constantFrom(...DATES)),
}).map((r) => (r.effect === 'open' ? { ...r, exceptActors: null, resources: null, purposes: null, categories: r.categories ?? ['MH'] } : r));

/** The specification, read literally (docs/security.md "Policy"), as independent code. */
function reference(p: Principal, r: ResourceFacts, rules: readonly ConsentRule[], glass: boolean, letter: 'r' | 's'): boolean {
  const matching = p.scopes.resources.filter((s) => s.permissions.has(letter) && (s.type === '*' || s.type === r.type));
  if (matching.length === 0) return false;
  const reads = roleTypes(p.role).read;
  if (reads !== '*' && !reads.includes(r.type)) return false;
  const directory = DIRECTORY_TYPES.includes(r.type);
  if (matching.every((s) => s.context === 'patient') && !(r.patientId !== null && r.patientId === p.launchPatient) && !(r.patientId === null && directory)) return false;
  const ids = [p.organization, p.fhirUser, p.practitionerRole].filter(Boolean) as string[];
  if (r.patientId === null) {
    if (directory) return true;
    if (['patient', 'proxy', 'researcher', 'admin', 'privacy-officer'].includes(p.role)) return false;
    return p.platform || (r.authorOrg !== null && ids.includes(r.authorOrg));
  }
  if (p.role === 'patient' || p.role === 'proxy') return p.patients.includes(r.patientId) && (!p.narrowed?.includes(r.patientId) || ['Patient', 'Appointment'].includes(r.type));
  if (p.role === 'privacy-officer') return r.type === 'Consent';
  if (p.role === 'researcher' || p.role === 'admin') return false;
  if (p.role === 'system' && p.platform) return true;
  if (glass && p.role !== 'system') return true;
  const purpose = p.role === 'system' ? 'TREAT' : 'TREAT';
  const live = (rule: ConsentRule) => (rule.start === null || Date.parse(rule.start) <= NOW.getTime()) && (rule.end === null || NOW.getTime() < Date.parse(rule.end));
  const names = (list: readonly string[] | null) => list === null || list.some((a) => ids.includes(a));
  for (const rule of rules) {
    if (rule.effect !== 'deny' || !live(rule)) continue;
    const spared = rule.exceptActors !== null && rule.exceptActors.some((a) => ids.includes(a));
    const category = rule.categories === null || rule.categories.some((c) => r.sensitivity.includes(c));
    const resource = rule.resources === null || rule.resources.includes(`${r.type}/${r.id}`);
    const forPurpose = rule.purposes === null || rule.purposes.includes(purpose);
    if (names(rule.actors) && !spared && category && resource && forPurpose) return false;
  }
  if (r.sensitivity.length > 0 && !(r.authorOrg !== null && ids.includes(r.authorOrg))) {
    return r.sensitivity.every((c) => rules.some((rule) => rule.effect === 'open' && live(rule) && (rule.categories ?? []).includes(c) && names(rule.actors)));
  }
  return true;
}

describe('policy engine properties', () => {
  test('decideRead agrees with the reference model on random principals, resources, consents and grants', () => {
    fc.assert(fc.property(principalArb, resourceArb, fc.array(ruleArb, { maxLength: 4 }), fc.boolean(), fc.constantFrom('read' as const, 'search' as const), (p, r, rules, glass, action) => {
      const decision = decideRead(p, r, { rules, breakGlass: glass }, NOW, action);
      const expected = reference(p, r, rules, glass, action === 'read' ? 'r' : 's');
      assert.equal(decision.permit, expected, `${decision.reason}`);
      assert.ok(decision.reason.length > 0, 'every decision says why');
      if (!decision.permit) assert.ok(decision.denial === 'forbidden' || decision.denial === 'not-found');
    }), { numRuns: 5000, seed: 20251123 });
  });

  describe('the SQL visibility equals the engine on a real database', () => {
    let db: Database;
    let drop: () => Promise<void>;
    before(async () => {
      ({ db, drop } = await openTestDatabase());
      await migrate(db);
    });
    after(async () => {
      await db.close();
      await drop();
    });

    test('for random stores and principals, a row is visible in SQL exactly when decideRead permits it', async () => {
      const storeArb = fc.record({
        resources: fc.uniqueArray(resourceArb, { minLength: 1, maxLength: 25, selector: (r) => `${r.type}/${r.id}` }),
        rules: fc.array(fc.tuple(fc.constantFrom(...PATIENTS), ruleArb), { maxLength: 6 }),
        glass: fc.array(fc.tuple(fc.constantFrom('u1', 'u2'), fc.constantFrom(...PATIENTS)), { maxLength: 2 }),
      });
      await fc.assert(fc.asyncProperty(storeArb, fc.array(principalArb, { minLength: 1, maxLength: 6 }), async (store, principals) => {
        await db.query('DELETE FROM resource');
        await db.query('DELETE FROM consent_rule');
        await db.query('DELETE FROM break_glass');
        for (const r of store.resources) {
          await db.query(
            `INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, patient_id, content, author_org, sensitivity)
             VALUES ($1, $2, 1, now(), false, $3, '{}', $4, $5)`,
            [r.type, r.id, r.patientId, r.authorOrg, r.sensitivity.length ? r.sensitivity : null],
          );
        }
        const byPatient = new Map<string, ConsentRule[]>();
        store.rules.forEach(([patient, rule], i) => byPatient.set(patient, [...(byPatient.get(patient) ?? []), { ...rule, consentId: `c${i}` }]));
        for (const [patient, rules] of byPatient) {
          for (const rule of rules) await replaceConsentRules(db, [{ id: rule.consentId, patientId: patient, rules: [rule] }]);
        }
        for (const [i, [actor, patient]] of store.glass.entries()) {
          await db.query("INSERT INTO break_glass VALUES ($1, $2, $3, 'test', $4, $5)", [`g${i}`, actor, patient, '2025-06-01T00:00:00Z', '2025-07-01T00:00:00Z']);
        }
        for (const p of principals) {
          for (const permission of ['r', 's'] as const) {
            const sql = new SqlBuilder();
            const condition = readVisibility(p, NOW, permission)('r', sql);
            const { rows } = await db.query<{ k: string }>(`SELECT r.resource_type || '/' || r.id AS k FROM resource r WHERE ${condition}`, sql.params);
            const inSql = new Set(rows.map((row) => row.k));
            for (const r of store.resources) {
              const rules = r.patientId ? byPatient.get(r.patientId) ?? [] : [];
              const glass = r.patientId !== null && store.glass.some(([actor, patient]) => actor === p.subject && patient === r.patientId);
              const decision = decideRead(p, r, { rules, breakGlass: glass }, NOW, permission === 'r' ? 'read' : 'search');
              assert.equal(inSql.has(`${r.type}/${r.id}`), decision.permit, `${p.role} ${[...p.scopes.resources].map((s) => s.text).join(' ')} on ${r.type}/${r.id}: ${decision.reason}`);
            }
          }
        }
      }), { numRuns: 60, seed: 4242 });
    });
  });
});
