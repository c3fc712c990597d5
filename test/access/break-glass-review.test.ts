import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { codeFlow, createUser, PASSWORD, seedDirectory } from '../support/auth.js';
import { parseGrantList, parseReviewInput } from '../../src/audit/break-glass-review.js';

/**
 * Privacy officers review break-the-glass accesses: the grants listed with who, which patient, why, how
 * many accesses; each marked justified or not with a comment, once (a second review is a 409, nothing
 * written twice); refused to everyone else; the review is audited.
 */
describe('reviewing break-the-glass accesses', () => {
  let t: TestCarnet;
  let drB: string;
  let privacy: string;
  const pm = 'bg-p';
  const glass = async (reason: string) => {
    const r = await t.request('POST', `/fhir/Patient/${pm}/$break-the-glass`, { token: drB, body: { resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: reason }, { name: 'minutes', valueInteger: 30 }] } });
    assert.equal(r.status, 200, r.text);
    return r.body.parameter.find((p: { name: string }) => p.name === 'grant').valueString as string;
  };
  const list = async (query = '', token = privacy) => t.request('GET', `/auth/admin/break-glass${query}`, { token });
  const review = (id: string, body: unknown, token = privacy) => t.request('POST', `/auth/admin/break-glass/${id}/review`, { token, body, headers: { 'content-type': 'application/json' } });
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_ACCESS_TOKEN_SECONDS: '86400' } });
    await seedDirectory(t);
    await t.request('PUT', `/fhir/Patient/${pm}`, { body: { resourceType: 'Patient', id: pm, name: [{ family: 'Glass' }] } });
    const dr = await createUser(t, { username: 'drb', password: PASSWORD, displayName: 'Dr B', role: 'physician', fhirUser: 'Practitioner/dr-b', practitionerRole: 'PractitionerRole/dr-b-role' });
    drB = (await codeFlow(t, { username: 'drb', password: PASSWORD, totpSecret: dr.totp?.secret as string, scope: 'user/*.cruds' })).token?.access_token as string;
    const po = await createUser(t, { username: 'privacy', password: PASSWORD, displayName: 'Agente de protection', role: 'privacy-officer' });
    privacy = (await codeFlow(t, { username: 'privacy', password: PASSWORD, totpSecret: po.totp?.secret as string, scope: 'user/*.rs' })).token?.access_token as string;
  });
  after(() => t?.close());

  test('a grant is listed with who, which patient, why and its accesses; reviewed once with a comment', async () => {
    const id = await glass('Patient inconscient aux urgences');
    assert.equal((await t.request('GET', `/fhir/Patient/${pm}`, { token: drB })).status, 200);
    const listed = await list();
    assert.equal(listed.status, 200);
    const grant = listed.body.grants.find((g: { id: string }) => g.id === id);
    assert.ok(grant, 'an unreviewed grant is listed');
    assert.deepEqual([grant.actorName, grant.actorFhirUser, grant.patientId, grant.reason, grant.review], ['Dr B', 'Practitioner/dr-b', pm, 'Patient inconscient aux urgences', null]);
    assert.ok(grant.accesses >= 2, `the grant and the read under it: ${grant.accesses}`);
    assert.equal((await review(id, { justified: true })).status, 400, 'a comment is required');
    assert.equal((await review(id, { comment: 'vu au dossier' })).status, 400, 'justified or not is required');
    assert.equal((await review('no-such-grant', { justified: true, comment: 'vu au dossier' })).status, 404);
    const done = await review(id, { justified: true, comment: 'Admission aux urgences confirmée' });
    assert.equal(done.status, 201, done.text);
    assert.deepEqual([done.body.grant.review.justified, done.body.grant.review.comment, done.body.grant.review.reviewerName], [true, 'Admission aux urgences confirmée', 'Agente de protection']);
    assert.ok(Date.parse(done.body.grant.review.reviewedAt) > 0);
    const again = await review(id, { justified: false, comment: 'changement d’avis' });
    assert.equal(again.status, 409);
    assert.equal(again.body.grant.review.justified, true, 'the first review stands');
    assert.ok(!(await list()).body.grants.some((g: { id: string }) => g.id === id), 'no longer to review');
    assert.ok((await list('?status=reviewed')).body.grants.some((g: { id: string }) => g.id === id));
    const audited = await t.request('GET', '/auth/admin/audit?agent=Agente&_count=50', { token: privacy });
    assert.ok(audited.body.entry.some((e: { resource: { entity?: { detail?: { valueString?: string }[] }[] } }) => e.resource.entity?.some((x) => x.detail?.some((d) => d.valueString === 'POST /auth/admin/break-glass/:id/review'))), 'the review is in the trail');
  });

  test('two officers at once: one review recorded, the other told', async () => {
    const id = await glass('Arrêt cardiaque, dossier verrouillé');
    const both = await Promise.all([review(id, { justified: true, comment: 'premier avis' }), review(id, { justified: false, comment: 'second avis' })]);
    assert.deepEqual(both.map((r) => r.status).sort(), [201, 409]);
    const { rows } = await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM break_glass_review WHERE grant_id = $1', [id]);
    assert.equal(rows[0]?.n, 1);
  });

  test('only privacy officers: a physician and paging', async () => {
    assert.equal((await list('', drB)).status, 403);
    assert.equal((await review('x', { justified: true, comment: 'moi-même' }, drB)).status, 403);
    await glass('Troisième accès pour la page');
    const first = await list('?status=all&_count=1');
    assert.equal(first.body.grants.length, 1);
    const second = await t.request('GET', new URL(first.body.next).pathname + new URL(first.body.next).search, { token: privacy });
    assert.equal(second.body.grants.length, 1);
    assert.notEqual(second.body.grants[0].id, first.body.grants[0].id);
    assert.equal((await list('?status=maybe')).status, 400);
  });

  test('what a review and a list must say (pure)', () => {
    assert.deepEqual(parseReviewInput({ justified: false, comment: '  accès non requis  ' }), { justified: false, comment: 'accès non requis' });
    assert.ok('error' in parseReviewInput({ justified: 'yes', comment: 'accès non requis' }));
    assert.ok('error' in parseReviewInput({ justified: true, comment: 'x'.repeat(2001) }));
    assert.ok('error' in parseReviewInput(null));
    assert.deepEqual(parseGrantList(new URLSearchParams('')), { status: 'unreviewed', limit: 51, count: 50 });
    assert.ok('error' in parseGrantList(new URLSearchParams('_cursor=garbage')));
    assert.ok('error' in parseGrantList(new URLSearchParams('other=1')));
  });
});
