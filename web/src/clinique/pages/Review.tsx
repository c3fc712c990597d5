import type { Parameters } from '@medplum/fhirtypes';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { Page, QueryState, statusOf } from '../../shared/Page.js';
import { TableScroll } from '../../shared/TableScroll.js';
import { candidatesOf, decisionsOf, undoOf, type Candidate, type Decision } from '../review.js';
import { useSession } from '../session.js';

type Choice = 'confirm' | 'reject' | 'merge';

function Item(props: { item: Candidate }) {
  const { t } = useTranslation();
  const { client } = useSession();
  const queries = useQueryClient();
  const { item } = props;
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const busy = useRef(false);
  const decide = useMutation({
    mutationFn: async (choice: Choice) => {
      const body = choice === 'merge'
        ? { resourceType: 'Parameters', parameter: [{ name: 'source-patient', valueReference: { reference: item.patient } }, { name: 'target-patient', valueReference: { reference: item.candidatePatient } }, { name: 'reason', valueString: reason.trim() }] }
        : { resourceType: 'Parameters', parameter: [{ name: 'candidate', valueString: item.id }, { name: 'decision', valueCode: choice }, { name: 'reason', valueString: reason.trim() }] };
      return client.request<Parameters>({ url: choice === 'merge' ? 'Patient/$merge' : '$mpi-review', method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
    },
  });
  const act = (choice: Choice) => {
    if (busy.current) return;
    if (reason.trim().length < 5) { setMessage({ kind: 'error', text: t('clinic.mpi.reasonRequired') }); return; }
    busy.current = true;
    decide.mutate(choice, {
      onSuccess: () => { setMessage({ kind: 'ok', text: t(`clinic.mpi.done.${choice}`) }); void queries.invalidateQueries({ queryKey: ['mpi'] }); },
      // Another administrator resolved it first: said so, nothing written twice (the server refuses a second decision).
      onError: (error) => setMessage({ kind: 'error', text: statusOf(error) === 409 ? t('clinic.mpi.already') : t('common.error') }),
      onSettled: () => { busy.current = false; },
    });
  };
  const headingId = `candidate-${item.id}`;
  return (
    <li className="item" aria-labelledby={headingId}>
      <h2 id={headingId} className="item-title">{t('clinic.mpi.pair', { a: item.patient.replace('Patient/', ''), b: item.candidatePatient.replace('Patient/', '') })}</h2>
      <p>{t('clinic.mpi.score', { score: Math.round(item.score * 100), weight: item.weight })}{item.guard ? ` · ${t('clinic.mpi.guard', { guard: item.guard })}` : ''}</p>
      <TableScroll label={t('clinic.mpi.fieldsOf', { id: item.id })}>
        <table className="stack">
          <caption className="visually-hidden">{t('clinic.mpi.fieldsOf', { id: item.id })}</caption>
          <thead><tr><th scope="col">{t('clinic.mpi.colField')}</th><th scope="col">{t('clinic.mpi.colIncoming')}</th><th scope="col">{t('clinic.mpi.colCandidate')}</th><th scope="col">{t('clinic.mpi.colVerdict')}</th></tr></thead>
          <tbody>
            {item.fields.filter((f) => f.incoming !== undefined || f.candidate !== undefined).map((f) => (
              <tr key={f.name}>
                <th scope="row">{t(`clinic.mpi.fields.${f.name}`, { defaultValue: f.name })}</th>
                <td data-label={t('clinic.mpi.colIncoming')}>{f.incoming ?? '—'}</td>
                <td data-label={t('clinic.mpi.colCandidate')}>{f.candidate ?? '—'}</td>
                <td data-label={t('clinic.mpi.colVerdict')}><span className={`verdict verdict-${f.verdict}`}><span aria-hidden="true">{f.verdict === 'agree' ? '= ' : f.verdict === 'disagree' ? '≠ ' : '? '}</span>{t(`clinic.mpi.verdict.${f.verdict}`)}</span>{f.weight !== undefined ? <span className="note"> ({f.weight > 0 ? '+' : ''}{f.weight})</span> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {item.status === 'open' && !(message?.kind === 'ok') && (
        <div className="decide">
          <div className="field"><label htmlFor={`reason-${item.id}`}>{t('clinic.mpi.reason')}</label><input id={`reason-${item.id}`} type="text" value={reason} onChange={(e) => setReason(e.target.value)} /></div>
          <div className="actions">
            <button type="button" className="button" aria-disabled={decide.isPending ? true : undefined} onClick={() => act('confirm')}>{t('clinic.mpi.confirm')}</button>
            <button type="button" className="button secondary" aria-disabled={decide.isPending ? true : undefined} onClick={() => act('reject')}>{t('clinic.mpi.reject')}</button>
            <button type="button" className="button secondary" aria-disabled={decide.isPending ? true : undefined} onClick={() => act('merge')}>{t('clinic.mpi.merge')}</button>
          </div>
        </div>
      )}
      {message && <p role={message.kind === 'error' ? 'alert' : 'status'} className={message.kind === 'error' ? 'alert' : 'status'}>{message.text}</p>}
    </li>
  );
}

/**
 * Undoing a decision from the log: a merge is unmerged (`Patient/$unmerge`), a link a person made is
 * detached (`Patient/{id}/$mpi-unlink`); a confirmation with its reason (required) first. A decision
 * already undone (here or elsewhere) is refused by the server and the page says so.
 */
function Undo(props: { decision: Decision }) {
  const { t } = useTranslation();
  const { client } = useSession();
  const queries = useQueryClient();
  const undo = undoOf(props.decision);
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const busy = useRef(false);
  const run = useMutation({
    mutationFn: async () => {
      if (!undo) throw new Error('nothing to undo');
      const body = undo.kind === 'unmerge'
        ? { resourceType: 'Parameters', parameter: [{ name: 'source-patient', valueReference: { reference: undo.patient } }, { name: 'reason', valueString: reason.trim() }] }
        : { resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: reason.trim() }] };
      return client.request<Parameters>({ url: undo.kind === 'unmerge' ? 'Patient/$unmerge' : `${undo.patient}/$mpi-unlink`, method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
    },
  });
  if (!undo) return <>—</>;
  const id = `undo-${props.decision.seq}`;
  const confirm = () => {
    if (busy.current) return;
    if (reason.trim().length < 5) { setMessage({ kind: 'error', text: t('clinic.mpi.reasonRequired') }); document.getElementById(id)?.focus(); return; }
    busy.current = true;
    run.mutate(undefined, {
      onSuccess: () => { setOpen(false); setMessage({ kind: 'ok', text: t(`clinic.mpi.undone.${undo.kind}`) }); void queries.invalidateQueries({ queryKey: ['mpi'] }); },
      onError: (error) => setMessage({ kind: 'error', text: [400, 404, 409, 422].includes(statusOf(error) ?? 0) ? t('clinic.mpi.undoRefused', { why: (error as Error).message }) : t('common.error') }),
      onSettled: () => { busy.current = false; },
    });
  };
  return (
    <div className="undo">
      {!open && message?.kind !== 'ok' && <button type="button" className="button secondary" onClick={() => { setOpen(true); setMessage(undefined); }}>{t(`clinic.mpi.undo.${undo.kind}`)}</button>}
      {open && (
        <div className="decide">
          <p className="note">{t(`clinic.mpi.undoWarn.${undo.kind}`)}</p>
          <div className="field"><label htmlFor={id}>{t('clinic.mpi.undoReason')}</label><input id={id} type="text" value={reason} onChange={(e) => setReason(e.target.value)} /></div>
          <div className="actions">
            <button type="button" className="button" aria-disabled={run.isPending ? true : undefined} onClick={confirm}>{t(`clinic.mpi.undoConfirm.${undo.kind}`)}</button>
            <button type="button" className="button secondary" onClick={() => { setOpen(false); setMessage(undefined); }}>{t('clinic.mpi.undoCancel')}</button>
          </div>
        </div>
      )}
      {message && <p role={message.kind === 'error' ? 'alert' : 'status'} className={message.kind === 'error' ? 'alert' : 'status'}>{message.text}</p>}
    </div>
  );
}

/** Administrators: the MPI's possible duplicates, side by side, and the decisions taken. */
export function Review() {
  const { t } = useTranslation();
  const lang = currentLang();
  const { client } = useSession();
  const queue = useQuery({ queryKey: ['mpi', 'queue'], queryFn: () => client.request<Parameters>('$mpi-review?status=open&_count=20') });
  const log = useQuery({ queryKey: ['mpi', 'decisions'], queryFn: () => client.request<Parameters>('$mpi-decisions?_count=200') });
  const { total, items } = candidatesOf(queue.data);
  // The matcher's own automatic links are in the log too; the page lists the decisions people took.
  const all = decisionsOf(log.data);
  const decisions = all.filter((d) => !d.actor.startsWith('carnet-'));
  return (
    <Page title={t('clinic.mpi.title')}>
      <p>{t('clinic.mpi.intro')}</p>
      <QueryState query={queue} />
      {queue.data && <p role="status" className="status">{t('clinic.mpi.open', { count: total })}</p>}
      <ol className="list">{items.map((item) => <Item key={item.id} item={item} />)}</ol>
      <h2>{t('clinic.mpi.decisionsTitle')}</h2>
      <QueryState query={log} />
      {decisions.length === 0 && log.data && <p>{t('clinic.mpi.noDecision')}</p>}
      {all.length > decisions.length && <p className="note">{t('clinic.mpi.automatic', { count: all.length - decisions.length })}</p>}
      {decisions.length > 0 && (
        <TableScroll label={t('clinic.mpi.decisionsTitle')}>
          <table className="stack">
            <caption className="visually-hidden">{t('clinic.mpi.decisionsTitle')}</caption>
            <thead><tr><th scope="col">{t('clinic.mpi.colWhen')}</th><th scope="col">{t('clinic.mpi.colWho')}</th><th scope="col">{t('clinic.mpi.colAction')}</th><th scope="col">{t('clinic.mpi.colRecords')}</th><th scope="col">{t('clinic.mpi.colWhy')}</th><th scope="col">{t('clinic.mpi.colUndo')}</th></tr></thead>
            <tbody>
              {decisions.map((d) => (
                <tr key={d.seq}><th scope="row">{formatDateTime(d.at, lang)}</th><td data-label={t('clinic.mpi.colWho')}>{d.actor}</td><td data-label={t('clinic.mpi.colAction')}>{d.action}</td><td data-label={t('clinic.mpi.colRecords')} className="ids">{[d.patient, d.person].filter(Boolean).join(' → ')}</td><td data-label={t('clinic.mpi.colWhy')}>{d.reason ?? '—'}</td><td data-label={t('clinic.mpi.colUndo')}><Undo decision={d} /></td></tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </Page>
  );
}
