import type { Condition, SearchPlan, ValueTest } from './model.js';

/**
 * One person, one record, in search (pure): when a patient or a proxy searches by one of their person's
 * source records (`Observation?patient=<clinic record>`, `Patient/<lab record>/Observation`, a chain or
 * `_has` through one), the search answers for every source record of that person — the same set whichever
 * record the request names. Records of anyone else are left as they are (visibility hides them anyway).
 * `personOf` gives, for a Patient id, the records of its person, or undefined when it is not the
 * requester's (access/person-scope.ts `personOfRecord`).
 */
export type PersonOf = (patientId: string) => readonly string[] | undefined;

const PATIENT = 'Patient/';

function widenTargets(targets: readonly string[], personOf: PersonOf): readonly string[] {
  const out = new Set<string>();
  for (const target of targets) {
    out.add(target);
    if (!target.startsWith(PATIENT)) continue;
    for (const record of personOf(target.slice(PATIENT.length)) ?? []) out.add(`${PATIENT}${record}`);
  }
  return out.size === targets.length ? targets : [...out];
}

function widenTest(test: ValueTest, personOf: PersonOf): ValueTest {
  return test.type === 'reference' ? { ...test, targets: widenTargets(test.targets, personOf) } : test;
}

export function personWideCondition(condition: Condition, personOf: PersonOf): Condition {
  const recurse = (c: Condition) => personWideCondition(c, personOf);
  switch (condition.kind) {
    case 'index':
      return condition.table === 'search_reference' ? { ...condition, tests: condition.tests.map((t) => widenTest(t, personOf)) } : condition;
    case 'patient-links':
      return { ...condition, patientIds: [...new Set(condition.patientIds.flatMap((id) => personOf(id) ?? [id]))] };
    case 'compartment': {
      if (!condition.target.startsWith(PATIENT)) return condition;
      const records = personOf(condition.target.slice(PATIENT.length));
      if (!records || records.length < 2) return condition;
      // A compartment per record: a Patient is in its own compartment (`selfId`), so each keeps its own.
      return {
        kind: 'any',
        conditions: records.map((id) => ({ kind: 'compartment', keys: condition.keys, target: `${PATIENT}${id}`, ...(condition.selfId !== undefined ? { selfId: id } : {}) })),
      };
    }
    case 'any':
      return { ...condition, conditions: condition.conditions.map(recurse) };
    case 'chain':
      return { ...condition, targets: condition.targets.map((t) => ({ ...t, inner: t.inner.map(recurse) })) };
    case 'has':
      return { ...condition, inner: condition.inner.map(recurse) };
    default:
      return condition;
  }
}

export function personWidePlan(plan: SearchPlan, personOf: PersonOf): SearchPlan {
  return { ...plan, conditions: plan.conditions.map((c) => personWideCondition(c, personOf)) };
}
