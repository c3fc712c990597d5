import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditEvent } from '@medplum/fhirtypes';
import { grantOfEvent, grantsPath, reviewProblems, type Grant } from '../../web/src/clinique/glass-review.js';

/** The privacy officer's review of break-the-glass accesses, in the workspace (pure). */
const grant = (over: Partial<Grant>): Grant => ({
  id: 'g1', agent: 'user:u1', actorName: 'Dr B', actorFhirUser: 'Practitioner/dr-b', patientId: 'p1', reason: 'urgence',
  grantedAt: '2026-12-03T10:00:00.000Z', expiresAt: '2026-12-03T10:30:00.000Z', accesses: 2, review: null, ...over,
});
const event = (recorded: string, who: { reference?: string; identifier?: { value: string } }, patient?: string): AuditEvent => ({
  resourceType: 'AuditEvent', recorded, type: { code: 'rest' }, source: { observer: { display: 'Carnet' } },
  agent: [{ requestor: true, who }], ...(patient ? { entity: [{ what: { reference: `Patient/${patient}` } }] } : {}),
});

describe('reviewing break-the-glass accesses (workspace)', () => {
  test('a record belongs to the grant of the same professional, while it lasted; the named patient decides between two', () => {
    const grants = [grant({}), grant({ id: 'g2', patientId: 'p2' }), grant({ id: 'g3', agent: 'user:u9', actorFhirUser: null, grantedAt: '2026-12-03T11:00:00.000Z', expiresAt: '2026-12-03T12:00:00.000Z' })];
    assert.equal(grantOfEvent(event('2026-12-03T10:05:00Z', { reference: 'Practitioner/dr-b' }, 'p2'), grants)?.id, 'g2');
    assert.equal(grantOfEvent(event('2026-12-03T10:05:00Z', { reference: 'Practitioner/dr-b' }), grants)?.id, 'g1');
    assert.equal(grantOfEvent(event('2026-12-03T10:30:00Z', { reference: 'Practitioner/dr-b' }), grants), undefined, 'the end is excluded');
    assert.equal(grantOfEvent(event('2026-12-03T11:10:00Z', { identifier: { value: 'user:u9' } }), grants)?.id, 'g3', 'by agent key when no fhirUser');
    assert.equal(grantOfEvent(event('2026-12-03T10:05:00Z', { reference: 'Practitioner/other' }), grants), undefined);
  });

  test('a review needs a verdict and a comment; the list asks for a status', () => {
    assert.deepEqual(reviewProblems(undefined, ''), ['choose', 'comment']);
    assert.deepEqual(reviewProblems(false, ' ok '), ['comment']);
    assert.deepEqual(reviewProblems(true, 'accès justifié'), []);
    assert.equal(grantsPath('unreviewed'), '/auth/admin/break-glass?status=unreviewed&_count=200');
  });
});
