import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { Page, QueryState, statusOf } from '../../shared/Page.js';
import { api, useSession } from '../session.js';

interface DeadLetter {
  readonly id: string;
  readonly sender: string;
  readonly controlId: string;
  readonly messageType: string;
  readonly ackCode: string;
  readonly receivedAt: string;
  readonly attempts: number;
  readonly errors: readonly { code?: string; location?: string; reason?: string }[];
}

interface Replayed {
  readonly outcome: string;
  readonly ackCode: string;
  readonly ack: readonly string[];
}

function Letter(props: { item: DeadLetter }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const { client } = useSession();
  const queries = useQueryClient();
  const { item } = props;
  const [show, setShow] = useState(false);
  const raw = useQuery({ queryKey: ['hl7', 'letter', item.id], enabled: show, queryFn: () => api<{ message?: string[] }>(client, `/hl7v2/dead-letters/${encodeURIComponent(item.id)}`) });
  const busy = useRef(false);
  const replay = useMutation({ mutationFn: () => api<Replayed>(client, `/hl7v2/dead-letters/${encodeURIComponent(item.id)}/$replay`, { method: 'POST' }) });
  const [reason, setReason] = useState('');
  const [discardError, setDiscardError] = useState<string>();
  const discard = useMutation({ mutationFn: () => api<unknown>(client, `/hl7v2/dead-letters/${encodeURIComponent(item.id)}/$discard`, { method: 'POST', body: { reason: reason.trim() } }) });
  const onDiscard = () => {
    if (busy.current) return;
    if (reason.trim().length < 5) { setDiscardError(t('clinic.hl7.reasonRequired')); return; }
    busy.current = true;
    discard.mutate(undefined, {
      onSuccess: () => { setDiscardError(undefined); void queries.invalidateQueries({ queryKey: ['hl7', 'list'] }); },
      // Another administrator discarded it first: said so, nothing written twice.
      onError: (error) => setDiscardError(statusOf(error) === 409 || statusOf(error) === 404 ? t('clinic.hl7.alreadyDiscarded') : t('common.error')),
      onSettled: () => { busy.current = false; },
    });
  };
  const onReplay = () => {
    if (busy.current) return;
    busy.current = true;
    replay.mutate(undefined, { onSettled: () => { busy.current = false; void queries.invalidateQueries({ queryKey: ['hl7', 'list'] }); } });
  };
  const headingId = `letter-${item.id}`;
  return (
    <li className="item" aria-labelledby={headingId}>
      <h2 id={headingId} className="item-title">{item.messageType} · {item.sender} · {item.controlId}</h2>
      <p>{t('clinic.hl7.received', { date: formatDateTime(item.receivedAt, lang), count: item.attempts })} · {t('clinic.hl7.ack', { code: item.ackCode })}</p>
      <ul className="issues">
        {item.errors.map((e, i) => <li key={i}><strong>{e.location ?? t('clinic.hl7.noLocation')}</strong>{e.code ? ` (${e.code})` : ''} : {e.reason}</li>)}
      </ul>
      <details onToggle={(e) => setShow((e.target as HTMLDetailsElement).open)}>
        <summary>{t('clinic.hl7.raw')}</summary>
        {raw.isPending && show ? <p className="status" role="status">{t('common.loading')}</p> : null}
        {raw.data?.message && <pre className="raw" tabIndex={0} aria-label={t('clinic.hl7.raw')}>{raw.data.message.join('\n')}</pre>}
      </details>
      <div className="actions">
        <button type="button" className="button secondary" aria-disabled={replay.isPending ? true : undefined} onClick={onReplay}>{t('clinic.hl7.replay')}</button>
      </div>
      <div className="decide">
        <div className="field"><label htmlFor={`discard-${item.id}`}>{t('clinic.hl7.reason')}</label><input id={`discard-${item.id}`} type="text" value={reason} onChange={(e) => setReason(e.target.value)} /></div>
        <div className="actions"><button type="button" className="button secondary" aria-disabled={discard.isPending ? true : undefined} onClick={onDiscard}>{t('clinic.hl7.discard')}</button></div>
        {discardError && <p role="alert" className="alert">{discardError}</p>}
      </div>
      <div aria-live="polite">
        {replay.data && (replay.data.outcome === 'accepted'
          ? <p className="status">{t('clinic.hl7.replayed')}</p>
          : <p className="alert">{t('clinic.hl7.failedAgain', { code: replay.data.ackCode })}</p>)}
        {replay.isError && <p className="alert">{t('clinic.hl7.replayError')}</p>}
      </div>
    </li>
  );
}

/** Administrators: HL7 v2 messages the gateway could not process — the error, the message, replay. */
export function DeadLetters() {
  const { t } = useTranslation();
  const { client } = useSession();
  const list = useQuery({ queryKey: ['hl7', 'list'], queryFn: () => api<{ items: DeadLetter[] }>(client, '/hl7v2/dead-letters?_count=50') });
  const items = list.data?.items ?? [];
  return (
    <Page title={t('clinic.hl7.title')}>
      <p>{t('clinic.hl7.intro')}</p>
      <QueryState query={list} />
      {list.data && <p role="status" className="status">{items.length === 0 ? t('clinic.hl7.none') : t('clinic.hl7.count', { count: items.length })}</p>}
      <ol className="list">{items.map((item) => <Letter key={item.id} item={item} />)}</ol>
    </Page>
  );
}
