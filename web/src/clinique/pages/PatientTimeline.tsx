import type { Bundle } from '@medplum/fhirtypes';
import type { Organization } from '@medplum/fhirtypes';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { QueryState } from '../../shared/Page.js';
import { TableScroll } from '../../shared/TableScroll.js';
import { nextPage, NO_FILTERS, TIMELINE_CATEGORIES, timelineEvents, timelinePath, type TimelineCategory, type TimelineFilters } from '../record.js';
import { useSession } from '../session.js';

/** The whole person's clinical events, newest first (Patient/$timeline), filtered by kind and period. */
export function PatientTimeline(props: { id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const { client } = useSession();
  const [form, setForm] = useState<TimelineFilters>(NO_FILTERS);
  const [filters, setFilters] = useState<TimelineFilters>(NO_FILTERS);
  const timeline = useInfiniteQuery({
    queryKey: ['timeline', props.id, filters, lang],
    initialPageParam: timelinePath(props.id, filters, lang),
    queryFn: ({ pageParam }) => client.request<Bundle>(pageParam),
    getNextPageParam: (page) => nextPage(page, client.state.serverUrl),
  });
  const events = (timeline.data?.pages ?? []).flatMap((p) => timelineEvents(p));
  // The source organisations by name (one directory search for those on the page).
  const sourceIds = [...new Set(events.map((e) => e.source?.replace('Organization/', '')).filter((s): s is string => Boolean(s)))].sort();
  const orgs = useQuery({
    queryKey: ['organizations', sourceIds],
    enabled: sourceIds.length > 0,
    queryFn: async () => new Map((await client.request<Organization[]>(`Organization?_id=${sourceIds.join(',')}&_elements=name&_count=${sourceIds.length}`, { pageLimit: 0, flat: true }).catch(() => [] as Organization[])).map((o) => [`Organization/${o.id}`, o.name ?? ''])),
  });
  const toggle = (c: TimelineCategory, on: boolean) => setForm({ ...form, categories: on ? [...form.categories, c] : form.categories.filter((x) => x !== c) });
  const submit = (e: FormEvent) => { e.preventDefault(); setFilters(form); };
  return (
    <>
      <form className="filters" onSubmit={submit} aria-label={t('clinic.timeline.filters')}>
        <fieldset className="categories">
          <legend>{t('clinic.timeline.kinds')}</legend>
          {TIMELINE_CATEGORIES.map((c) => (
            <div key={c} className="field checkbox">
              <input id={`tl-${c}`} type="checkbox" checked={form.categories.includes(c)} onChange={(e) => toggle(c, e.target.checked)} />
              <label htmlFor={`tl-${c}`}>{t(`clinic.timeline.category.${c}`)}</label>
            </div>
          ))}
        </fieldset>
        <div className="field"><label htmlFor="tl-since">{t('clinic.timeline.since')}</label><input id="tl-since" type="date" value={form.since} onChange={(e) => setForm({ ...form, since: e.target.value })} /></div>
        <div className="field"><label htmlFor="tl-until">{t('clinic.timeline.until')}</label><input id="tl-until" type="date" value={form.until} onChange={(e) => setForm({ ...form, until: e.target.value })} /></div>
        <button type="submit" className="button">{t('clinic.timeline.apply')}</button>
      </form>
      <QueryState query={timeline} />
      {timeline.data && <p role="status" className="note">{events.length === 0 ? t('clinic.timeline.none') : t('clinic.timeline.count', { count: events.length })}</p>}
      {events.length > 0 && (
        <TableScroll label={t('clinic.timeline.tableLabel')}>
          <table className="stack">
            <caption className="visually-hidden">{t('clinic.timeline.tableLabel')}</caption>
            <thead><tr><th scope="col">{t('clinic.timeline.colWhen')}</th><th scope="col">{t('clinic.timeline.colKind')}</th><th scope="col">{t('clinic.timeline.colWhat')}</th><th scope="col">{t('clinic.timeline.colSource')}</th></tr></thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.key}>
                  <th scope="row">{formatDateTime(e.date, lang)}{e.undated ? <><br /><span className="note">{t('clinic.timeline.recorded')}</span></> : null}</th>
                  <td data-label={t('clinic.timeline.colKind')}>{t(`clinic.timeline.category.${e.category}`)}</td>
                  <td data-label={t('clinic.timeline.colWhat')}>{e.label}{e.count ? <><br /><span className="note">{t('clinic.timeline.readings', { count: e.count })}</span></> : null}</td>
                  <td data-label={t('clinic.timeline.colSource')} className="ids">{e.source ? orgs.data?.get(e.source) || e.source.replace('Organization/', '') : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {timeline.hasNextPage && <p><button type="button" className="button secondary" aria-disabled={timeline.isFetchingNextPage ? true : undefined} onClick={() => { if (!timeline.isFetchingNextPage) void timeline.fetchNextPage(); }}>{t('clinic.timeline.more')}</button></p>}
    </>
  );
}
