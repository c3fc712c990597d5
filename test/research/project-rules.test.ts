import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { boundedByProject, checkDecision, exportRefusal, parseProjectRequest, ProjectError, projectScopes, type Project } from '../../src/research/projects/rules.js';

/** Data-access project rules, pure: requests, decisions, and how a project bounds its client's exports. */
const project: Project = {
  id: 'pr1', title: 'T', purpose: 'a purpose of enough length', requester: 'user:r', requesterName: 'R', groupId: 'cohort',
  types: ['Patient', 'Observation'], profile: 'de-identified', durationDays: 30, status: 'approved', expiresAt: '2027-01-01T00:00:00.000Z', createdAt: '2026-12-01T00:00:00.000Z',
};

describe('data-access project rules', () => {
  test('a request names purpose, cohort, patient-data types, a profile, a duration and keys', () => {
    const ok = parseProjectRequest({ title: 'Étude', purpose: 'Une finalité précise', groupId: 'g1', types: ['Patient', 'Patient', 'Observation'], profile: 'pseudonymised', durationDays: 90, jwks: { keys: [{ kty: 'EC' }] } });
    assert.deepEqual(ok.types, ['Patient', 'Observation']);
    for (const bad of [null, {}, { title: 'Étude', purpose: 'Une finalité précise', groupId: 'g/1', types: ['Patient'], profile: 'pseudonymised', durationDays: 90, jwks: { keys: [{}] } }]) {
      assert.throws(() => parseProjectRequest(bad), ProjectError);
    }
  });

  test('decisions: only while requested; a refusal gives its reason', () => {
    const requested = { ...project, status: 'requested' as const };
    assert.equal(checkDecision(requested, 'approve', undefined), undefined);
    assert.equal(checkDecision(requested, 'refuse', ' trop large '), 'trop large');
    assert.throws(() => checkDecision(requested, 'refuse', 'non'), /reason/);
    assert.throws(() => checkDecision(project, 'approve', undefined), /already approved/);
  });

  test('exports: approved and unexpired only; bounded to the cohort, types and profile', () => {
    assert.equal(exportRefusal(project, new Date('2026-12-15')), undefined);
    assert.match(exportRefusal(project, new Date('2027-01-01')) as string, /expired/);
    assert.match(exportRefusal({ ...project, status: 'refused' }, new Date('2026-12-15')) as string, /refused/);
    assert.match(exportRefusal(undefined, new Date()) as string, /does not exist/);
    assert.deepEqual(boundedByProject(project, { level: 'system' }), { groupId: 'cohort', types: ['Patient', 'Observation'], profile: 'de-identified' });
    assert.deepEqual(boundedByProject(project, { level: 'group', groupId: 'cohort', types: ['Observation'] }).types, ['Observation']);
    assert.throws(() => boundedByProject(project, { level: 'group', groupId: 'other' }), /cohort/);
    assert.throws(() => boundedByProject(project, { level: 'system', profile: 'pseudonymised' }), /profile/);
    assert.throws(() => boundedByProject(project, { level: 'system', types: ['Condition'] }), /Condition/);
    assert.equal(projectScopes(project), 'system/Patient.rs system/Observation.rs');
  });
});
