import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, BundleEntry, Extension, Resource } from '@medplum/fhirtypes';
import type { GroundTruth, GroundTruthPerson } from '../../src/generate/ground-truth.js';
import { TIMELINE_EVENT_URL } from '../../src/fhir/operations/timeline.js';
import { professionalToken, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { privacyConsent, put } from '../support/persons.js';
import { loadTestPopulation } from '../support/population.js';

/**
 * Patient/[id]/$timeline end to end: the whole person's events from every source record, newest first,
 * keyset pages, filters, device readings per day, languages, consent (hidden events absent; an opted-out
 * record refused like a read), the audit trail and bad input.
 */
const TODAY = new Date().toISOString().slice(0, 10);

interface Event {
  readonly date: string;
  readonly category: string;
  readonly label: string;
  readonly fr: string;
  readonly en: string;
  readonly source?: string;
  readonly count?: number;
  readonly members: string[];
  readonly ref: string;
}

function eventOf(entry: BundleEntry): Event {
  const ext = (entry as { extension?: Extension[] }).extension?.find((e) => e.url === TIMELINE_EVENT_URL)?.extension ?? [];
  const get = (url: string) => ext.find((e) => e.url === url);
  const resource = entry.resource as Resource;
  return {
    date: get('date')?.valueDateTime as string, category: get('category')?.valueCode as string, label: get('label')?.valueString as string,
    fr: get('label-fr')?.valueString as string, en: get('label-en')?.valueString as string,
    ...(get('source') ? { source: get('source')?.valueReference?.reference as string } : {}),
    ...(get('count') ? { count: get('count')?.valueInteger as number } : {}),
    members: ext.filter((e) => e.url === 'member').map((e) => e.valueReference?.reference as string),
    ref: `${resource.resourceType}/${resource.id}`,
  };
}

describe('Patient/$timeline', () => {
  let t: TestCarnet;
  let truth: GroundTruth;
  before(async () => {
    t = await startTestCarnet();
    await seedDirectory(t);
    ({ groundTruth: truth } = await loadTestPopulation(t, { referenceDate: TODAY }, 'Organization/org-a'));
  });
  after(() => t.close());

  const idOf = (p: GroundTruthPerson, i = 0) => (p.records[i]?.patient ?? '').split('/')[1] as string;
  const timeline = (path: string, token?: string, headers: Record<string, string> = {}) => t.request('GET', `/fhir/${path}`, { headers, ...(token ? { token } : {}) });
  const events = (b: Bundle) => (b.entry ?? []).map(eventOf);
  const nextOf = (b: Bundle) => b.link?.find((l) => l.relation === 'next')?.url;
  /** Every page, following the next links. */
  async function walk(first: string, token?: string): Promise<Event[]> {
    const all: Event[] = [];
    let url: string | undefined = first;
    for (let guard = 0; url && guard < 500; guard++) {
      const r = await timeline(url.replace(/^.*?\/fhir\//, ''), token);
      assert.equal(r.status, 200, r.text.slice(0, 300));
      all.push(...events(r.body as Bundle));
      url = nextOf(r.body as Bundle);
    }
    return all;
  }
  const richest = () => truth.persons.filter((p) => p.records.length >= 3).sort((a, b) => b.conditions.length - a.conditions.length)[0] as GroundTruthPerson;

  test('the whole person, newest first, from every source record, the same from any of them', async () => {
    const person = richest();
    const r = await timeline(`Patient/${idOf(person)}/$timeline?_count=200`);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const b = r.body as Bundle;
    assert.equal(b.resourceType, 'Bundle');
    assert.equal(b.language, 'fr-CA');
    const list = events(b);
    assert.ok(list.length > 10, `${list.length} events`);
    for (const e of list) {
      assert.ok(e.date && e.category && e.fr && e.en && e.label === e.fr, JSON.stringify(e));
    }
    const times = list.map((e) => Date.parse(e.date));
    assert.deepEqual(times, [...times].sort((a, c) => c - a), 'newest first');
    const categories = new Set(list.map((e) => e.category));
    for (const c of ['encounter', 'result', 'dispense', 'immunization']) assert.ok(categories.has(c), `has ${c}: ${[...categories]}`);
    const sources = new Set(list.map((e) => e.source));
    assert.ok(sources.size >= 2, `events of several sources: ${[...sources]}`);
    const records = new Set(person.records.map((rec) => rec.patient));
    for (const entry of b.entry ?? []) {
      const subject = JSON.stringify(entry.resource).match(/"reference":"(Patient\/[^"]+)"/)?.[1];
      if (subject) assert.ok(records.has(subject), `${subject} is one of the person’s records`);
    }
    const other = await timeline(`Patient/${idOf(person, 1)}/$timeline?_count=200`);
    assert.deepEqual(events(other.body as Bundle).map((e) => e.ref), list.map((e) => e.ref), 'the same timeline from another record');
  });

  test('keyset pages: following next gives every event once, in the same order as one big page', async () => {
    const person = richest();
    const whole = await walk(`Patient/${idOf(person)}/$timeline?_count=200`);
    const paged = await walk(`Patient/${idOf(person)}/$timeline?_count=7`);
    assert.ok(whole.length > 200, `more than one big page: ${whole.length}`);
    assert.deepEqual(paged.map((e) => e.ref), whole.map((e) => e.ref));
    assert.equal(new Set(paged.map((e) => e.ref)).size, paged.length);
  });

  test('filters: category, source organisation and date range', async () => {
    const person = richest();
    const id = idOf(person);
    const whole = await walk(`Patient/${id}/$timeline?_count=200`);
    const imm = await walk(`Patient/${id}/$timeline?category=immunization&_count=200`);
    assert.ok(imm.length > 0);
    assert.deepEqual(imm.map((e) => e.ref), whole.filter((e) => e.category === 'immunization').map((e) => e.ref));
    const source = whole.find((e) => e.category === 'dispense')?.source as string;
    const fromSource = await walk(`Patient/${id}/$timeline?source=${encodeURIComponent(source)}&_count=200`);
    assert.deepEqual(fromSource.map((e) => e.ref), whole.filter((e) => e.source === source).map((e) => e.ref));
    const middle = whole[Math.floor(whole.length / 2)] as Event;
    const day = middle.date.slice(0, 4);
    const year = await walk(`Patient/${id}/$timeline?date=${day}&_count=200`);
    assert.ok(year.some((e) => e.ref === middle.ref));
    const before = await walk(`Patient/${id}/$timeline?date=lt${encodeURIComponent(middle.date)}&_count=200`);
    assert.ok(before.every((e) => Date.parse(e.date) < Date.parse(middle.date)));
    assert.deepEqual(before.map((e) => e.ref), whole.filter((e) => Date.parse(e.date) < Date.parse(middle.date)).map((e) => e.ref));
  });

  test('device readings are summarised per device and day; English on request', async () => {
    const person = truth.persons[3] as GroundTruthPerson;
    const id = idOf(person);
    const device = await t.request('POST', '/fhir/Device', { body: { resourceType: 'Device', patient: { reference: `Patient/${id}` }, deviceName: [{ name: 'Tensiomètre', type: 'user-friendly-name' }] } });
    assert.equal(device.status, 201, device.text);
    for (const [hour, value] of [[8, 128], [12, 131], [20, 125]] as const) {
      const obs = {
        resourceType: 'Observation', status: 'final', subject: { reference: `Patient/${id}` }, device: { reference: `Device/${device.body.id}` },
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
        code: { text: 'Pression systolique', coding: [{ system: 'http://loinc.org', code: '8480-6', display: 'Systolic blood pressure' }] },
        effectiveDateTime: `2030-01-15T${String(hour).padStart(2, '0')}:00:00-05:00`, valueQuantity: { value, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
      };
      assert.equal((await t.request('POST', '/fhir/Observation', { body: obs })).status, 201);
    }
    const r = await timeline(`Patient/${id}/$timeline?category=device&_language=en`);
    assert.equal(r.status, 200, r.text);
    assert.equal((r.body as Bundle).language, 'en-CA');
    const list = events(r.body as Bundle);
    assert.equal(list.length, 1, 'one event for the day');
    const day = list[0] as Event;
    assert.equal(day.count, 3);
    assert.equal(day.members.length, 3);
    assert.equal(day.label, day.en);
    assert.match(day.en, /3 readings, latest: Systolic blood pressure: 125 mmHg/);
    assert.equal(day.date, '2030-01-16T01:00:00.000Z', 'dated by the latest reading');
  });

  test('consent: what the reader may not see is absent; an opted-out record is refused like a read', async () => {
    const token = await professionalToken(t, 'dr-b-timeline', 'physician', 'dr-b');
    const sensitive = new Set(Object.values(truth.sensitive).flat());
    let person: GroundTruthPerson | undefined;
    for (const p of truth.persons) {
      const all = events((await timeline(`Patient/${idOf(p)}/$timeline?_count=200`)).body as Bundle);
      if (all.some((e) => sensitive.has(e.ref))) {
        person = p;
        break;
      }
    }
    assert.ok(person, 'a person with a sensitive event');
    const mine = await walk(`Patient/${idOf(person)}/$timeline?_count=50`, token);
    assert.ok(mine.length > 0);
    for (const e of mine) assert.ok(!sensitive.has(e.ref), `${e.ref} is hidden from dr-b`);

    const id = idOf(person);
    await put(t, privacyConsent(`optout-${id}`, id, { type: 'deny' }));
    const read = await t.request('GET', `/fhir/Patient/${id}`, { token });
    const refused = await timeline(`Patient/${id}/$timeline`, token);
    assert.ok([403, 404].includes(refused.status), `refused: ${refused.status}`);
    assert.equal(refused.status, read.status, 'exactly as a read is');
  });

  test('every page is in the audit trail with the patients it showed', async () => {
    const id = idOf(truth.persons[2] as GroundTruthPerson);
    assert.equal((await timeline(`Patient/${id}/$timeline?_count=5`)).status, 200);
    const { rows } = await t.carnet.db.query<{ content: string }>('SELECT content FROM audit_event WHERE $1 = ANY(patients) AND content LIKE $2', [id, '%timeline%']);
    assert.ok(rows.length > 0, 'audited');
  });

  test('bad input is a 400/404 OperationOutcome', async () => {
    const id = idOf(truth.persons[0] as GroundTruthPerson);
    for (const q of ['category=lab', 'date=hier', '_count=0', 'foo=1', '_cursor=zzz', 'source=Practitioner/x', '_language=de']) {
      const r = await timeline(`Patient/${id}/$timeline?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.resourceType, 'OperationOutcome');
    }
    assert.equal((await timeline('Patient/nobody/$timeline')).status, 404);
    assert.equal((await timeline('Observation/x/$timeline')).status, 404);
  });
});
