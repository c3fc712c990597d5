import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, CapabilityStatement, Parameters } from '@medplum/fhirtypes';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { FILTER_CRITERIA_URL } from '../../src/subscriptions/spec.js';
import { compileTopic, topicOf, TOPICS } from '../../src/subscriptions/topics.js';
import { startReceiver, type Receiver } from './receiver.js';

/** Topic-based subscriptions (R5 Backport IG on R4): the topics advertised, filters, matching, refusals. */
const LAB_TOPIC = 'urn:carnet:SubscriptionTopic/lab-result';
const LAB = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };

describe('topics (pure)', () => {
  test('a topic and its filters compile to one search of its type', () => {
    const topic = topicOf(LAB_TOPIC);
    assert.ok(topic);
    assert.deepEqual(compileTopic(topic, ['Observation?patient=Patient/1', 'Observation?code=http://loinc.org|2823-3']),
      { criteria: 'category=laboratory&status=final,amended,corrected&patient=Patient/1&code=http://loinc.org|2823-3' });
    assert.match((compileTopic(topic, ['DiagnosticReport?patient=Patient/1']) as { problem: string }).problem, /must read Observation\?/);
    assert.match((compileTopic(topic, ['Observation?status=preliminary']) as { problem: string }).problem, /not on "status"/);
    assert.deepEqual(compileTopic(topic, ['Observation?patient:identifier=x|1']), { criteria: 'category=laboratory&status=final,amended,corrected&patient:identifier=x|1' }, 'modifiers allowed');
    assert.equal(new Set(TOPICS.map((t) => t.url)).size, TOPICS.length);
  });
});

describe('topic-based subscriptions', () => {
  let t: TestCarnet;
  let rx: Receiver;
  before(async () => {
    rx = await startReceiver();
    t = await startTestCarnet({ env: { CARNET_SUBSCRIPTION_ALLOWED_HOSTS: '127.0.0.1' } });
    for (const id of ['t1', 't2']) await t.request('PUT', `/fhir/Patient/${id}`, { body: { resourceType: 'Patient', id } });
  });
  after(async () => {
    await t.close();
    await rx.close();
  });
  const subscribe = (criteria: string, filters: string[]) => t.request('POST', '/fhir/Subscription', { body: {
    resourceType: 'Subscription', status: 'requested', reason: 'topic', criteria,
    ...(filters.length ? { _criteria: { extension: filters.map((valueString) => ({ url: FILTER_CRITERIA_URL, valueString })) } } : {}),
    channel: { type: 'rest-hook', endpoint: `${rx.url}/topic`, payload: 'application/fhir+json' },
  } });

  test('the CapabilityStatement lists the topics on Subscription', async () => {
    const cs = (await t.request('GET', '/fhir/metadata', { token: null })).body as CapabilityStatement;
    const sub = cs.rest?.[0]?.resource?.find((r) => r.type === 'Subscription');
    const topics = (sub?.extension ?? []).filter((e) => e.url.endsWith('capabilitystatement-subscriptiontopic-canonical')).map((e) => e.valueCanonical);
    assert.deepEqual(topics, TOPICS.map((x) => x.url));
  });

  test('a lab-result subscription filtered on a patient: final results of that patient only, with the topic in the status', async () => {
    const r = await subscribe(LAB_TOPIC, ['Observation?patient=Patient/t1']);
    assert.equal(r.status, 201, r.text);
    await t.carnet.background.runOnce();
    const write = (id: string, patient: string, status: string) => t.request('PUT', `/fhir/Observation/${id}`, { body: { resourceType: 'Observation', id, status, category: [LAB], code: { text: 'Na' }, subject: { reference: `Patient/${patient}` } } });
    await write('tp1', 't1', 'preliminary');
    await write('tp2', 't2', 'final');
    await write('tp3', 't1', 'final');
    await write('tp1', 't1', 'final'); // the preliminary result becomes final: now an event of the topic
    await t.carnet.background.runOnce();
    // Every event, whether each came in a Bundle of its own or several together.
    const got = rx.at('/topic').flatMap((x) => ((x.json as Bundle).entry ?? []).slice(1).map((e) => e.resource?.id));
    assert.deepEqual(got, ['tp3', 'tp1']);
    const status = (rx.at('/topic')[0]?.json as Bundle).entry?.[0]?.resource as Parameters;
    assert.equal(status.parameter?.find((p) => p.name === 'topic')?.valueCanonical, LAB_TOPIC);
  });

  test('an unknown topic or filter is refused, nothing stored', async () => {
    const before = (await t.request('GET', '/fhir/Subscription?_summary=count')).body.total;
    for (const [criteria, filters, text] of [
      ['urn:carnet:SubscriptionTopic/nothing', [], /not a topic Carnet publishes/],
      [LAB_TOPIC, ['Observation?status=preliminary'], /not on "status"/],
      [LAB_TOPIC, ['Patient?name=x'], /must read Observation/],
      [LAB_TOPIC, ['Observation?code:frobnicate=x'], /not a valid search/],
    ] as [string, string[], RegExp][]) {
      const r = await subscribe(criteria, filters);
      assert.ok(r.status === 422 || r.status === 400, `${criteria} ${filters}: ${r.status}`);
      assert.match(r.body.issue[0].diagnostics ?? r.body.issue[0].details?.text, text);
    }
    assert.equal((await t.request('GET', '/fhir/Subscription?_summary=count')).body.total, before);
  });
});
