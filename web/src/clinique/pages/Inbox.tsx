import type { Bundle, Task } from '@medplum/fhirtypes';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { Page, QueryState, statusOf } from '../../shared/Page.js';
import { followLink } from '../../shared/router.js';
import { inboxItems, inboxQuery, withState, type InboxFilter, type InboxItem, type InboxState } from '../inbox.js';
import { INBOX_KEY, useInboxLive } from '../inbox-live.js';
import { PATHS } from '../routes.js';
import { useSession } from '../session.js';

const FILTERS: readonly InboxFilter[] = ['open', 'unread', 'all'];

function Item(props: { item: InboxItem }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const { client, fhirUser } = useSession();
  const queries = useQueryClient();
  const { item } = props;
  const busy = useRef(false);
  const [message, setMessage] = useState<string>();
  const change = useMutation({
    mutationFn: (state: InboxState) => client.request<Task>({
      url: `Task/${item.task.id}`, method: 'PUT',
      headers: { 'content-type': 'application/fhir+json', ...(item.task.meta?.versionId ? { 'If-Match': `W/"${item.task.meta.versionId}"` } : {}) },
      body: JSON.stringify(withState(item.task, state, fhirUser as string, new Date())),
    }),
  });
  const set = (state: InboxState) => {
    if (busy.current) return;
    busy.current = true;
    change.mutate(state, {
      onSuccess: () => setMessage(undefined),
      // Changed meanwhile (another tab, another device): the list is read again, nothing is overwritten.
      onError: (error) => setMessage(statusOf(error) === 412 || statusOf(error) === 409 ? t('clinic.inbox.changedMeanwhile') : t('common.error')),
      onSettled: () => { busy.current = false; void queries.invalidateQueries({ queryKey: INBOX_KEY }); },
    });
  };
  const headingId = `inbox-${item.task.id}`;
  const href = PATHS.patient(item.patientId);
  const label = item.label;
  return (
    <li className={`item inbox-item inbox-${item.state}`} aria-labelledby={headingId}>
      <h2 id={headingId} className="item-title">
        {item.state === 'unread' && <span className="inbox-dot" aria-hidden="true">● </span>}
        {t(`clinic.inbox.kind.${item.kind}`)}{label ? ` — ${label}` : ''}
      </h2>
      <p>
        <a href={href} onClick={(e) => followLink(e, href)}>{item.patientName ?? t('clinic.inbox.patient', { id: item.patientId })}</a>
        {' · '}{formatDateTime(item.when, lang)}
      </p>
      <p><strong>{t(`clinic.inbox.state.${item.state}`)}</strong>{item.acknowledgedAt ? ` — ${t('clinic.inbox.acknowledgedAt', { date: formatDateTime(item.acknowledgedAt, lang) })}` : ''}</p>
      {!item.focus && <p className="note">{t('clinic.inbox.hidden')}</p>}
      <div className="actions">
        {item.state === 'unread' && <button type="button" className="button secondary" aria-disabled={change.isPending ? true : undefined} onClick={() => set('read')}>{t('clinic.inbox.markRead')}</button>}
        {item.state === 'read' && <button type="button" className="button secondary" aria-disabled={change.isPending ? true : undefined} onClick={() => set('unread')}>{t('clinic.inbox.markUnread')}</button>}
        {item.state !== 'acknowledged' && <button type="button" className="button" aria-disabled={change.isPending ? true : undefined} onClick={() => set('acknowledged')}>{t('clinic.inbox.acknowledge')}</button>}
      </div>
      <div aria-live="polite">{message && <p className="alert">{message}</p>}</div>
    </li>
  );
}

/** Clinicians: what arrived for their patients, live, with its state kept on the server (Task). */
export function Inbox() {
  const { t } = useTranslation();
  const { client, fhirUser } = useSession();
  const live = useInboxLive();
  const [filter, setFilter] = useState<InboxFilter>('open');
  const list = useQuery({
    queryKey: [...INBOX_KEY, fhirUser, filter],
    enabled: Boolean(fhirUser),
    queryFn: async () => inboxItems(await client.request<Bundle>(inboxQuery(fhirUser as string, filter))),
  });
  const items = list.data ?? [];
  return (
    <Page title={t('clinic.inbox.title')}>
      <p>{t('clinic.inbox.intro')}</p>
      <p className={`status live-${live.status}`} role="status">
        {t(`clinic.inbox.live.${live.status}`)}
        {live.arrived > 0 ? ` ${t('clinic.inbox.arrived', { count: live.arrived })}` : ''}
      </p>
      <div className="field">
        <label htmlFor="inbox-filter">{t('clinic.inbox.show')}</label>
        <select id="inbox-filter" value={filter} onChange={(e) => setFilter(e.target.value as InboxFilter)}>
          {FILTERS.map((f) => <option key={f} value={f}>{t(`clinic.inbox.filter.${f}`)}</option>)}
        </select>
      </div>
      <QueryState query={list} />
      {list.data && <p className="note">{items.length === 0 ? t('clinic.inbox.none') : t('clinic.inbox.count', { count: items.length })}</p>}
      {items.length > 0 && <ul className="list">{items.map((item) => <Item key={item.task.id} item={item} />)}</ul>}
    </Page>
  );
}
