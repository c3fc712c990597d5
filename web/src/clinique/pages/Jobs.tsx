import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { Page, QueryState, statusOf } from '../../shared/Page.js';
import { TableScroll } from '../../shared/TableScroll.js';
import { api, useSession } from '../session.js';

/** Background work as the operator routes show it (docs/events-and-jobs.md#operating). */
interface Job {
  readonly id: number;
  readonly kind: string;
  readonly state: 'pending' | 'running' | 'done' | 'dead' | 'cancelled';
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly runAt: string;
}
interface JobList {
  readonly counts: readonly { kind: string; state: string; count: number }[];
  readonly jobs: readonly Job[];
  readonly next?: string;
}
interface Consumer {
  readonly name: string;
  readonly behind: number;
  readonly oldestAgeSeconds: number;
  readonly failures: number;
  readonly lastError: string | null;
}

const STATES = ['dead', 'pending', 'running', 'cancelled', 'done'] as const;
type Shown = (typeof STATES)[number];
const KEY = ['jobs'] as const;

function JobItem(props: { job: Job; onRetried: (text: string) => void }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const { client } = useSession();
  const queries = useQueryClient();
  const { job } = props;
  const busy = useRef(false);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const retry = useMutation({ mutationFn: () => api<Job>(client, `/admin/jobs/${job.id}/retry`, { method: 'POST' }) });
  const onRetry = () => {
    if (busy.current) return;
    busy.current = true;
    retry.mutate(undefined, {
      // The job leaves the failed list when it is read again: the page, not the item, says it was retried.
      onSuccess: () => { setMessage({ kind: 'ok', text: t('clinic.jobs.retried') }); props.onRetried(t('clinic.jobs.retriedJob', { id: job.id, kind: job.kind })); },
      // Someone retried it first (it is no longer dead): said so, nothing run twice.
      onError: (error) => setMessage({ kind: 'error', text: statusOf(error) === 409 ? t('clinic.jobs.notRetriable') : t('common.error') }),
      onSettled: () => { busy.current = false; void queries.invalidateQueries({ queryKey: KEY }); },
    });
  };
  const headingId = `job-${job.id}`;
  return (
    <li className="item" aria-labelledby={headingId}>
      <h3 id={headingId} className="item-title">{t('clinic.jobs.job', { id: job.id, kind: job.kind })}</h3>
      <p>{t(`clinic.jobs.state.${job.state}`)} · {t('clinic.jobs.attempts', { n: job.attempts, max: job.maxAttempts })} · {t('clinic.jobs.created', { date: formatDateTime(job.createdAt, lang) })}{job.finishedAt ? ` · ${t('clinic.jobs.finished', { date: formatDateTime(job.finishedAt, lang) })}` : ''}</p>
      {job.lastError && <p><strong>{t('clinic.jobs.lastError')}</strong> <code className="ids">{job.lastError}</code></p>}
      {(job.state === 'dead' || job.state === 'cancelled') && message?.kind !== 'ok' && (
        <div className="actions"><button type="button" className="button secondary" aria-disabled={retry.isPending ? true : undefined} onClick={onRetry}>{t('clinic.jobs.retry')}</button></div>
      )}
      <div aria-live="polite">{message && <p role={message.kind === 'error' ? 'alert' : 'status'} className={message.kind === 'error' ? 'alert' : 'status'}>{message.text}</p>}</div>
    </li>
  );
}

/** Administrators: background jobs (failed ones first, retried from here) and the change-event consumers' lag. */
export function Jobs() {
  const { t } = useTranslation();
  const { client } = useSession();
  const [state, setState] = useState<Shown>('dead');
  const [notice, setNotice] = useState<string>();
  const list = useQuery({ queryKey: [...KEY, state], queryFn: () => api<JobList>(client, `/admin/jobs?state=${state}&limit=50`) });
  const consumers = useQuery({ queryKey: [...KEY, 'consumers'], queryFn: () => api<{ consumers: Consumer[] }>(client, '/admin/consumers') });
  const counts = list.data?.counts ?? [];
  const kinds = [...new Set(counts.map((c) => c.kind))].sort();
  const count = (kind: string, s: string) => counts.find((c) => c.kind === kind && c.state === s)?.count ?? 0;
  return (
    <Page title={t('clinic.jobs.title')}>
      <p>{t('clinic.jobs.intro')}</p>
      <QueryState query={list} />
      {kinds.length > 0 && (
        <TableScroll label={t('clinic.jobs.countsLabel')}>
          <table className="stack">
            <caption>{t('clinic.jobs.countsLabel')}</caption>
            <thead><tr><th scope="col">{t('clinic.jobs.colKind')}</th>{STATES.map((s) => <th key={s} scope="col">{t(`clinic.jobs.state.${s}`)}</th>)}</tr></thead>
            <tbody>
              {kinds.map((k) => <tr key={k}><th scope="row" className="ids">{k}</th>{STATES.map((s) => <td key={s} data-label={t(`clinic.jobs.state.${s}`)} className={s === 'dead' && count(k, s) > 0 ? 'flag-outside' : undefined}>{count(k, s)}</td>)}</tr>)}
            </tbody>
          </table>
        </TableScroll>
      )}
      <h2>{t('clinic.jobs.listTitle')}</h2>
      <div className="field">
        <label htmlFor="jobs-state">{t('clinic.jobs.show')}</label>
        <select id="jobs-state" value={state} onChange={(e) => setState(e.target.value as Shown)}>
          {STATES.map((s) => <option key={s} value={s}>{t(`clinic.jobs.state.${s}`)}</option>)}
        </select>
      </div>
      <div aria-live="polite">{notice && <p className="status ok-box">{notice}</p>}</div>
      {list.data && <p role="status" className="note">{list.data.jobs.length === 0 ? t('clinic.jobs.none') : t('clinic.jobs.count', { count: list.data.jobs.length })}</p>}
      {list.data && list.data.jobs.length > 0 && <ul className="list">{list.data.jobs.map((j) => <JobItem key={j.id} job={j} onRetried={setNotice} />)}</ul>}
      <h2>{t('clinic.jobs.consumersTitle')}</h2>
      <QueryState query={consumers} />
      {consumers.data && (
        <TableScroll label={t('clinic.jobs.consumersTitle')}>
          <table className="stack">
            <caption className="visually-hidden">{t('clinic.jobs.consumersTitle')}</caption>
            <thead><tr><th scope="col">{t('clinic.jobs.colConsumer')}</th><th scope="col">{t('clinic.jobs.colBehind')}</th><th scope="col">{t('clinic.jobs.colAge')}</th><th scope="col">{t('clinic.jobs.colFailures')}</th></tr></thead>
            <tbody>
              {consumers.data.consumers.map((c) => (
                <tr key={c.name}><th scope="row" className="ids">{c.name}</th><td data-label={t('clinic.jobs.colBehind')}>{c.behind}</td><td data-label={t('clinic.jobs.colAge')}>{t('clinic.jobs.seconds', { count: c.oldestAgeSeconds })}</td><td data-label={t('clinic.jobs.colFailures')}>{c.failures}{c.lastError ? <><br /><code className="ids">{c.lastError}</code></> : null}</td></tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </Page>
  );
}
