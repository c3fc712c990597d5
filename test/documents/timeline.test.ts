import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Resource } from '@medplum/fhirtypes';
import { buildEvents, categoryOf, timelinePage, type EventFact, type TimelineEvent } from '../../src/documents/timeline/events.js';
import { eventLabel } from '../../src/documents/timeline/labels.js';
import { dateRange, decodeTimelineCursor, encodeTimelineCursor, parseTimelineQuery, TimelineQueryError } from '../../src/documents/timeline/query.js';

/** The timeline's pure parts: classification, device days, order, keyset pages, filters, parameters and labels. */
let rid = 0;
function fact(resourceType: string, at: string | null, more: Partial<EventFact> = {}): EventFact {
  rid += 1;
  return {
    rid: String(rid), resourceType, id: `${resourceType.toLowerCase()}-${rid}`, patientId: 'clinic', at: at ? Date.parse(at) : null,
    recorded: Date.parse('2026-01-01T00:00:00Z'), status: null, categories: [], device: null, authorOrg: null, ...more,
  };
}
const sources = (p: string) => ({ clinic: 'Organization/clinic', pharmacy: 'Organization/pharmacy' } as Record<string, string>)[p] ?? null;
const keys = (events: readonly TimelineEvent[]) => events.map((e) => e.key);

describe('timeline events (pure)', () => {
  test('categories: by type, observations by device first, then vital signs, else results', () => {
    assert.equal(categoryOf(fact('Encounter', null)), 'encounter');
    assert.equal(categoryOf(fact('MedicationDispense', null)), 'dispense');
    assert.equal(categoryOf(fact('Observation', null, { categories: ['laboratory'] })), 'result');
    assert.equal(categoryOf(fact('Observation', null, { categories: ['vital-signs'] })), 'vital-signs');
    assert.equal(categoryOf(fact('Observation', null, { categories: ['vital-signs'], device: 'Device/cuff' })), 'device');
    assert.equal(categoryOf(fact('Condition', null)), undefined, 'a condition is not an event');
  });

  test('newest first across sources, ties by key; entered-in-error left out; undated ones at their recording date', () => {
    const visit = fact('Encounter', '2025-03-01T14:00:00Z');
    const dispense = fact('MedicationDispense', '2025-03-02T10:00:00Z', { patientId: 'pharmacy' });
    const twinA = fact('Immunization', '2025-01-10', { id: 'a' });
    const twinB = fact('Immunization', '2025-01-10', { id: 'b' });
    const wrong = fact('Procedure', '2025-06-01', { status: 'entered-in-error' });
    const undated = fact('DocumentReference', null);
    const events = buildEvents([twinA, visit, wrong, dispense, twinB, undated], sources);
    assert.deepEqual(keys(events), [`DocumentReference/${undated.id}`, `MedicationDispense/${dispense.id}`, `Encounter/${visit.id}`, 'Immunization/b', 'Immunization/a']);
    assert.equal(events[0]?.dated, false);
    assert.equal(events[0]?.at, undated.recorded);
    assert.equal(events[1]?.source, 'Organization/pharmacy', 'the source is the record’s managing organisation');
    const orphan = buildEvents([fact('Encounter', '2025-01-01', { patientId: 'elsewhere', authorOrg: 'Organization/writer' })], sources);
    assert.equal(orphan[0]?.source, 'Organization/writer', 'else the organisation that wrote it');
  });

  test('device readings: one event per device and local day (Montréal), the newest first inside', () => {
    const cuff = 'Device/cuff';
    const readings = [
      fact('Observation', '2025-07-10T12:00:00Z', { device: cuff }),
      fact('Observation', '2025-07-10T22:00:00Z', { device: cuff }),
      // 02:30 UTC on the 11th is 22:30 on the 10th in Montréal (UTC−4 in July): the same local day.
      fact('Observation', '2025-07-11T02:30:00Z', { device: cuff }),
      fact('Observation', '2025-07-11T13:00:00Z', { device: cuff }),
      fact('Observation', '2025-07-10T15:00:00Z', { device: 'Device/glucometer' }),
    ];
    const events = buildEvents(readings, sources);
    assert.deepEqual(keys(events), ['device/Device/cuff/2025-07-11', 'device/Device/cuff/2025-07-10', 'device/Device/glucometer/2025-07-10']);
    const tenth = events[1] as TimelineEvent;
    assert.equal(tenth.members.length, 3);
    assert.equal(tenth.at, Date.parse('2025-07-11T02:30:00Z'), 'the day’s event is dated by its latest reading');
    assert.deepEqual(tenth.members.map((m) => m.at), [Date.parse('2025-07-11T02:30:00Z'), Date.parse('2025-07-10T22:00:00Z'), Date.parse('2025-07-10T12:00:00Z')]);
  });

  test('keyset pages: walking every page gives each event once, in order, whatever the page size', () => {
    const facts = Array.from({ length: 23 }, (_, i) => fact(i % 2 ? 'Encounter' : 'Immunization', `2024-0${1 + (i % 9)}-1${i % 3}T10:00:00Z`));
    const all = buildEvents(facts, sources);
    for (const size of [1, 4, 7, 23, 50]) {
      const seen: string[] = [];
      let after;
      for (let guard = 0; guard < 30; guard++) {
        const page = timelinePage(all, {}, size, after);
        assert.ok(page.events.length <= size);
        seen.push(...keys(page.events));
        if (!page.next) break;
        after = page.next;
      }
      assert.deepEqual(seen, keys(all), `page size ${size}`);
    }
  });

  test('filters: categories, sources, date range [from, to)', () => {
    const facts = [
      fact('Encounter', '2024-05-01T10:00:00Z'), fact('Immunization', '2024-06-01T10:00:00Z'),
      fact('MedicationDispense', '2024-07-01T10:00:00Z', { patientId: 'pharmacy' }), fact('Encounter', '2023-01-01T10:00:00Z'),
    ];
    const all = buildEvents(facts, sources);
    assert.deepEqual(timelinePage(all, { categories: new Set(['encounter']) }, 10).events.map((e) => e.category), ['encounter', 'encounter']);
    assert.deepEqual(timelinePage(all, { sources: new Set(['Organization/pharmacy']) }, 10).events.map((e) => e.category), ['dispense']);
    const range = timelinePage(all, { from: Date.parse('2024-05-01T10:00:00Z'), to: Date.parse('2024-07-01T10:00:00Z') }, 10).events;
    assert.deepEqual(range.map((e) => e.category), ['immunization', 'encounter']);
    const paged = timelinePage(all, { categories: new Set(['encounter']) }, 1);
    assert.ok(paged.next);
    assert.equal(timelinePage(all, { categories: new Set(['encounter']) }, 1, paged.next).events[0]?.at, Date.parse('2023-01-01T10:00:00Z'));
  });
});

describe('timeline parameters (pure)', () => {
  test('dates are years, months, days in the clinic zone or instants; prefixes bound the range', () => {
    assert.deepEqual(dateRange('2025-07-10'), { start: Date.parse('2025-07-10T04:00:00Z'), end: Date.parse('2025-07-11T04:00:00Z') });
    assert.deepEqual(dateRange('2025-01'), { start: Date.parse('2025-01-01T05:00:00Z'), end: Date.parse('2025-02-01T05:00:00Z') });
    assert.equal(dateRange('2025')?.end, Date.parse('2026-01-01T05:00:00Z'));
    assert.equal(dateRange('2025-02-30'), undefined);
    assert.equal(dateRange('2025-13'), undefined);
    assert.equal(dateRange('2025-07-10T10:00'), undefined, 'an instant needs its offset');
    const q = parseTimelineQuery(new URLSearchParams('date=ge2025-01&date=lt2025-03&category=encounter,result&source=Organization/a&_count=10'));
    assert.equal(q.filter.from, Date.parse('2025-01-01T05:00:00Z'));
    assert.equal(q.filter.to, Date.parse('2025-03-01T05:00:00Z'));
    assert.deepEqual([...(q.filter.categories ?? [])], ['encounter', 'result']);
    assert.deepEqual([...(q.filter.sources ?? [])], ['Organization/a']);
    assert.equal(q.count, 10);
    const day = parseTimelineQuery(new URLSearchParams('date=2025-07-10'));
    assert.deepEqual([day.filter.from, day.filter.to], [Date.parse('2025-07-10T04:00:00Z'), Date.parse('2025-07-11T04:00:00Z')]);
    assert.equal(parseTimelineQuery(new URLSearchParams('_count=100000')).count, 200, 'capped');
  });

  test('what it cannot understand is an error, never ignored', () => {
    for (const bad of ['category=lab', 'date=yesterday', 'date=ge2025-02-30', 'source=Practitioner/x', '_count=0', '_count=x', 'foo=1', '_cursor=nonsense']) {
      assert.throws(() => parseTimelineQuery(new URLSearchParams(bad)), TimelineQueryError, bad);
    }
    const position = { at: Date.parse('2025-01-01T00:00:00Z'), key: 'Encounter/x' };
    assert.deepEqual(decodeTimelineCursor(encodeTimelineCursor(position)), position);
  });
});

describe('timeline labels (pure)', () => {
  test('French and English, clinical terms from the data, status when it matters', () => {
    const flu = { resourceType: 'Immunization', status: 'completed', vaccineCode: { text: 'Vaccin antigrippal', coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '141', display: 'Influenza, seasonal' }] } } as Resource;
    assert.deepEqual(eventLabel(flu, 'immunization', 1), { fr: 'Vaccin — Vaccin antigrippal', en: 'Vaccine — Influenza, seasonal' });
    const glucose = { resourceType: 'Observation', status: 'final', code: { text: 'Glucose', coding: [{ code: '2345-7', display: 'Glucose [Mass/volume]' }] }, valueQuantity: { value: 6.1, unit: 'mmol/L' } } as Resource;
    assert.deepEqual(eventLabel(glucose, 'result', 1), { fr: 'Glucose : 6,1 mmol/L', en: 'Glucose [Mass/volume]: 6.1 mmol/L' });
    assert.equal(eventLabel(glucose, 'device', 12).fr, 'Mesures d’appareil — 12 mesures, dernière : Glucose : 6,1 mmol/L');
    assert.equal(eventLabel(glucose, 'device', 1).en, 'Device readings — 1 reading, latest: Glucose [Mass/volume]: 6.1 mmol/L');
    const cancelled = { resourceType: 'Appointment', status: 'cancelled', serviceType: [{ text: 'Suivi' }] } as Resource;
    assert.deepEqual(eventLabel(cancelled, 'appointment', 1), { fr: 'Rendez-vous — Suivi (annulé)', en: 'Appointment — Suivi (cancelled)' });
    const stay = { resourceType: 'Encounter', status: 'finished', class: { code: 'IMP' } } as Resource;
    assert.deepEqual(eventLabel(stay, 'encounter', 1), { fr: 'Hospitalisation', en: 'Hospital stay' });
  });
});
