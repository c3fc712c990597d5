import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Bundle, Observation, Subscription, Task } from '@medplum/fhirtypes';
import { FILTER_CRITERIA, inboxItems, inboxQuery, INBOX_IDENTIFIER, INBOX_TOPICS, kindOf, notifiedResources, planSubscriptions, stateOf, taskFor, withState } from '../../web/src/clinique/inbox.js';
import { parseRoute, PATHS } from '../../web/src/clinique/routes.js';

/** The notifications inbox, pure: the subscriptions it keeps, notifications into Tasks, Task status as read/unread/acknowledged. */
const ME = 'Practitioner/demo-physician';
const result = (status: Observation['status'], version = '1'): Observation => ({ resourceType: 'Observation', id: 'o1', meta: { versionId: version }, status, code: { text: 'Glucose' }, subject: { reference: 'Patient/p1' }, valueQuantity: { value: 5.4, unit: 'mmol/L' } });

describe('the notifications inbox, pure', () => {
  test('one websocket subscription per topic on my patients; kept, written again when the list changes, none without patients', () => {
    const first = planSubscriptions([], ME, ['p2', 'Patient/p1']);
    assert.equal(first.create.length, INBOX_TOPICS.length);
    const lab = first.create.find((s) => s.criteria === 'urn:carnet:SubscriptionTopic/lab-result') as Subscription & { _criteria: { extension: { url: string; valueString: string }[] } };
    assert.equal(lab.channel.type, 'websocket');
    assert.deepEqual(lab._criteria.extension[0], { url: FILTER_CRITERIA, valueString: 'Observation?patient=Patient/p1,Patient/p2' });
    const stored = first.create.map((s, i) => ({ ...s, id: `s${i}`, status: 'active' as const }));
    const same = planSubscriptions([...stored, { ...stored[0], id: 'colleague', reason: 'someone else' } as Subscription], ME, ['p1', 'p2']);
    assert.equal(same.keep.length, INBOX_TOPICS.length);
    assert.equal(same.create.length + same.update.length, 0);
    const moved = planSubscriptions(stored, ME, ['p1', 'p3']);
    assert.equal(moved.update.length, INBOX_TOPICS.length);
    assert.ok(moved.update.every((s) => s.id?.startsWith('s')));
    const erred = planSubscriptions(stored.map((s, i) => (i === 0 ? { ...s, status: 'error' as const } : s)), ME, ['p1', 'p2']);
    assert.equal(erred.update.length, 1);
    assert.deepEqual(planSubscriptions(stored, ME, []), { create: [], update: [], keep: [] });
  });

  test('a notification Bundle’s resources; handshakes and heartbeats carry none; each kind in words', () => {
    const status = (type: string) => ({ resource: { resourceType: 'Parameters', parameter: [{ name: 'type', valueCode: type }] } });
    const bundle = { resourceType: 'Bundle', type: 'history', entry: [status('event-notification'), { fullUrl: 'x', resource: result('final') }] } as Bundle;
    assert.equal(notifiedResources(bundle).length, 1);
    assert.deepEqual(notifiedResources({ ...bundle, entry: [status('handshake')] } as Bundle), []);
    assert.deepEqual(notifiedResources({ ...bundle, entry: [status('heartbeat')] } as Bundle), []);
    assert.equal(kindOf(result('final')), 'result');
    assert.equal(kindOf(result('corrected')), 'result-corrected');
    assert.equal(kindOf({ resourceType: 'Encounter', status: 'in-progress', class: { code: 'IMP' } }), 'admission');
    assert.equal(kindOf({ resourceType: 'Encounter', status: 'finished', class: { code: 'IMP' } }), 'discharge');
    assert.equal(kindOf({ resourceType: 'Flag', status: 'active', code: {}, subject: {} }), 'alert');
    assert.equal(kindOf({ resourceType: 'Patient' }), undefined);
  });

  test('one Task per resource version, kept once by If-None-Exist; its status is the state', () => {
    const made = taskFor(result('final'), ME, new Date('2026-12-03T12:00:00Z'));
    assert.ok(made);
    assert.equal(made.task.status, 'requested');
    assert.deepEqual(made.task.identifier, [{ system: INBOX_IDENTIFIER, value: 'Observation/o1/_history/1' }]);
    assert.equal(made.task.focus?.reference, 'Observation/o1');
    assert.equal(made.task.for?.reference, 'Patient/p1');
    assert.equal(made.task.owner?.reference, ME);
    assert.equal(made.task.description, 'Glucose : 5.4 mmol/L', 'what it said when it arrived');
    assert.equal(new URLSearchParams(made.ifNoneExist).get('identifier'), `${INBOX_IDENTIFIER}|Observation/o1/_history/1`);
    assert.equal(new URLSearchParams(made.ifNoneExist).get('owner'), ME);
    assert.notEqual(taskFor(result('corrected', '2'), ME, new Date())?.ifNoneExist, made.ifNoneExist, 'a corrected version is a new item');
    assert.equal(taskFor({ ...result('final'), subject: { reference: 'Group/g' } }, ME, new Date()), undefined);
    const read = withState({ ...made.task, id: 't1' }, 'read', ME, new Date('2026-12-03T12:01:00Z'));
    assert.equal(read.status, 'in-progress');
    assert.equal(stateOf(read), 'read');
    const done = withState(read, 'acknowledged', ME, new Date('2026-12-03T12:02:00Z'));
    assert.equal(done.status, 'completed');
    assert.equal(done.executionPeriod?.end, '2026-12-03T12:02:00.000Z');
    assert.equal(stateOf(withState(done, 'unread', ME, new Date())), 'unread');
    assert.equal(withState(done, 'unread', ME, new Date()).executionPeriod, undefined);
  });

  test('the inbox search and its items with what they are about and the patient', () => {
    const q = new URL(`http://x/${inboxQuery(ME, 'open')}`).searchParams;
    assert.equal(q.get('owner'), ME);
    assert.equal(q.get('identifier'), `${INBOX_IDENTIFIER}|`);
    assert.equal(q.get('status'), 'requested,in-progress');
    assert.deepEqual(q.getAll('_include'), ['Task:focus', 'Task:subject']);
    assert.equal(new URL(`http://x/${inboxQuery(ME, 'all')}`).searchParams.get('status'), null);
    const task = { ...(taskFor(result('final'), ME, new Date('2026-12-03T12:00:00Z'))?.task as Task), id: 't1' };
    const items = inboxItems({ resourceType: 'Bundle', type: 'searchset', entry: [
      { resource: task }, { resource: result('final') }, { resource: { resourceType: 'Patient', id: 'p1', name: [{ family: 'Goulet', given: ['Sébastien'] }] } },
      { resource: { resourceType: 'Task', id: 'other', status: 'requested', intent: 'order' } },
    ] });
    assert.equal(items.length, 1, 'only the inbox’s Tasks');
    assert.equal(items[0]?.kind, 'result');
    assert.equal(items[0]?.state, 'unread');
    assert.equal(items[0]?.patientName, 'Sébastien Goulet');
    assert.equal(items[0]?.focus?.id, 'o1');
  });

  test('the address', () => {
    assert.equal(PATHS.inbox, '/clinique/notifications');
    assert.deepEqual(parseRoute('/clinique/notifications'), { name: 'inbox' });
    assert.deepEqual(parseRoute('/clinique/travaux'), { name: 'jobs' });
    assert.deepEqual(parseRoute('/clinique/patient/p1/chronologie'), { name: 'patient', id: 'p1', tab: 'timeline' });
    assert.deepEqual(parseRoute('/clinique/patient/p1/documents'), { name: 'patient', id: 'p1', tab: 'documents' });
    assert.equal(PATHS.patient('p1', 'timeline'), '/clinique/patient/p1/chronologie');
  });
});

describe('the timeline and documents, pure', () => {
  test('the $timeline query, its events, the next page', async () => {
    const { timelinePath, timelineEvents, nextPage, documentRows, attachmentSource, noteDocument, noteProblems, base64ToUtf8 } = await import('../../web/src/clinique/record.js');
    const q = new URL(`http://x/${timelinePath('p1', { categories: ['result', 'encounter'], since: '2025-01-01', until: 'bad' }, 'en')}`);
    assert.equal(q.pathname, '/Patient/p1/$timeline');
    assert.equal(q.searchParams.get('category'), 'result,encounter');
    assert.deepEqual(q.searchParams.getAll('date'), ['ge2025-01-01'], 'a malformed date is not sent');
    assert.equal(q.searchParams.get('_language'), 'en');
    const events = timelineEvents({ resourceType: 'Bundle', type: 'searchset', link: [{ relation: 'next', url: 'http://h/fhir/Patient/p1/$timeline?_cursor=abc' }], entry: [
      { resource: { resourceType: 'Observation', id: 'o', status: 'final', code: {} }, extension: [{ url: 'urn:carnet:extension:timeline-event', extension: [{ url: 'date', valueDateTime: '2026-01-02T10:00:00Z' }, { url: 'category', valueCode: 'device' }, { url: 'label', valueString: 'Pression' }, { url: 'count', valueInteger: 3 }, { url: 'source', valueReference: { reference: 'Organization/o1' } }] }] } as never,
      { resource: { resourceType: 'Observation', id: 'x', status: 'final', code: {} } },
    ] });
    assert.deepEqual(events, [{ key: 'Observation/o', date: '2026-01-02T10:00:00Z', category: 'device', label: 'Pression', source: 'Organization/o1', count: 3, undated: false }]);
    assert.equal(nextPage({ resourceType: 'Bundle', type: 'searchset', link: [{ relation: 'next', url: 'http://h/fhir/Patient/p1/$timeline?_cursor=abc' }] }, 'http://h/fhir/'), 'Patient/p1/$timeline?_cursor=abc');
    const rows = documentRows([
      { resourceType: 'DocumentReference', id: 'd1', status: 'current', description: 'Sommaire', author: [{ display: 'Dre T' }], content: [{ attachment: { url: 'Binary/b1', contentType: 'application/pdf' } }] },
      { resourceType: 'DocumentReference', id: 'd2', status: 'entered-in-error', content: [] },
    ]);
    assert.equal(rows.length, 1);
    assert.deepEqual(attachmentSource(rows[0]?.attachments[0] ?? {}), { kind: 'binary', path: 'Binary/b1' });
    assert.deepEqual(noteProblems({ title: ' a ', text: '' }), ['title', 'text']);
    const note = noteDocument('p1', 'Practitioner/dr', { title: ' Suivi ', text: 'Glycémie stable — é' }, new Date('2026-12-03T12:00:00Z'), 'fr');
    assert.equal(note.status, 'current');
    assert.equal(note.subject?.reference, 'Patient/p1');
    assert.deepEqual(note.author, [{ reference: 'Practitioner/dr' }]);
    assert.deepEqual(noteDocument('p1', 'Practitioner/dr', { title: 'Suivi', text: 'texte' }, new Date(), 'en', 'Dre T').author, [{ reference: 'Practitioner/dr', display: 'Dre T' }]);
    assert.equal(note.description, 'Suivi');
    assert.equal(base64ToUtf8(note.content[0]?.attachment.data ?? ''), 'Glycémie stable — é');
  });
});
