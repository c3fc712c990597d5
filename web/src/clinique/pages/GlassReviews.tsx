import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { QueryState } from '../../shared/Page.js';
import { grantsPath, reviewProblems, type Grant, type GrantStatus } from '../glass-review.js';
import { api, useSession } from '../session.js';

export const GRANTS_KEY = ['glass-grants'] as const;

/** The review of one grant, as words: "Justifié — by, when: comment". */
export function ReviewText({ grant }: { grant: Grant }) {
  const { t } = useTranslation();
  const lang = currentLang();
  if (!grant.review) return <span className="flag flag-outside">{t('clinic.glassReview.toReview')}</span>;
  const r = grant.review;
  return (
    <span>
      <strong>{r.justified ? t('clinic.glassReview.justified') : t('clinic.glassReview.unjustified')}</strong>
      {' — '}{t('clinic.glassReview.by', { who: r.reviewerName ?? r.reviewer, when: formatDateTime(r.reviewedAt, lang) })}
      <br /><span className="note">{r.comment}</span>
    </span>
  );
}

function GrantItem({ grant, onReviewed }: { grant: Grant; onReviewed: (grant: Grant) => void }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const { client } = useSession();
  const queries = useQueryClient();
  const id = useId();
  const [justified, setJustified] = useState<boolean>();
  const [comment, setComment] = useState('');
  const [problem, setProblem] = useState<string>();
  const busy = useRef(false);
  const save = useMutation({
    mutationFn: () => api<{ grant: Grant }>(client, `/auth/admin/break-glass/${encodeURIComponent(grant.id)}/review`, { method: 'POST', body: { justified, comment: comment.trim() } }),
    // The grant stays on screen with its review (the server's answer, or the other officer's on a 409).
    onSuccess: (out) => onReviewed(out.grant),
    onError: (error) => {
      const other = (error as { body?: { grant?: Grant } }).body?.grant;
      if (other) onReviewed(other);
    },
    onSettled: () => { busy.current = false; void queries.invalidateQueries({ queryKey: GRANTS_KEY }); },
  });
  const conflict = (save.error as { statusCode?: number } | null)?.statusCode === 409;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (busy.current) return;
    const missing = reviewProblems(justified, comment);
    if (missing.length > 0) {
      setProblem(missing.map((m) => t(`clinic.glassReview.missing.${m}`)).join(' '));
      document.getElementById(missing[0] === 'choose' ? `${id}-yes` : `${id}-comment`)?.focus();
      return;
    }
    setProblem(undefined);
    busy.current = true;
    save.mutate();
  };
  const titleId = `${id}-title`;
  return (
    <li className="item" aria-labelledby={titleId}>
      <h3 id={titleId} className="item-title">{t('clinic.glassReview.grantTitle', { who: grant.actorName ?? grant.agent, patient: grant.patientId })}</h3>
      <dl className="facts">
        <div><dt>{t('clinic.glassReview.when')}</dt><dd>{t('clinic.glassReview.window', { from: formatDateTime(grant.grantedAt, lang), to: formatDateTime(grant.expiresAt, lang) })}</dd></div>
        <div><dt>{t('clinic.glassReview.accesses')}</dt><dd>{t('clinic.glassReview.accessCount', { count: grant.accesses })}</dd></div>
        <div className="wide"><dt>{t('clinic.glassReview.reason')}</dt><dd>{grant.reason}</dd></div>
        <div className="wide"><dt>{t('clinic.glassReview.review')}</dt><dd><ReviewText grant={grant} /></dd></div>
      </dl>
      {!grant.review && (
        <form onSubmit={submit} noValidate aria-labelledby={titleId}>
          <fieldset>
            <legend>{t('clinic.glassReview.question')}</legend>
            <div className="field checkbox"><input type="radio" id={`${id}-yes`} name={`${id}-j`} checked={justified === true} onChange={() => setJustified(true)} /><label htmlFor={`${id}-yes`}>{t('clinic.glassReview.yes')}</label></div>
            <div className="field checkbox"><input type="radio" id={`${id}-no`} name={`${id}-j`} checked={justified === false} onChange={() => setJustified(false)} /><label htmlFor={`${id}-no`}>{t('clinic.glassReview.no')}</label></div>
          </fieldset>
          <div className="field">
            <label htmlFor={`${id}-comment`}>{t('clinic.glassReview.comment')}</label>
            <textarea id={`${id}-comment`} rows={2} value={comment} onChange={(e) => setComment(e.target.value)} aria-invalid={problem ? true : undefined} aria-describedby={problem ? `${id}-problem` : undefined} />
          </div>
          {problem && <p id={`${id}-problem`} role="alert" className="alert">{problem}</p>}
          <button type="submit" className="button" aria-disabled={save.isPending ? true : undefined}>{t('clinic.glassReview.save')}</button>
        </form>
      )}
      <div aria-live="polite">
        {save.isSuccess && <p className="status ok-box">{t('clinic.glassReview.saved')}</p>}
        {save.isError && <p role="alert" className="alert">{conflict ? t('clinic.glassReview.conflict') : t('common.error')}</p>}
      </div>
    </li>
  );
}

/** Privacy officers: the break-the-glass accesses, each to mark justified or not with a comment. */
export function GlassReviews() {
  const { t } = useTranslation();
  const { client } = useSession();
  const [status, setStatus] = useState<GrantStatus>('unreviewed');
  const grants = useQuery({ queryKey: [...GRANTS_KEY, status], queryFn: () => api<{ grants: Grant[] }>(client, grantsPath(status)) });
  // Grants reviewed on this page stay listed (with their review) until another status is chosen.
  const [recent, setRecent] = useState<Grant[]>([]);
  const fetched = grants.data?.grants ?? [];
  const list = [...recent.filter((r) => !fetched.some((g) => g.id === r.id)), ...fetched.map((g) => recent.find((r) => r.id === g.id) ?? g)];
  const reviewed = (grant: Grant) => setRecent((all) => [grant, ...all.filter((r) => r.id !== grant.id)]);
  return (
    <section aria-labelledby="glass-review-title">
      <h2 id="glass-review-title">{t('clinic.glassReview.title')}</h2>
      <p>{t('clinic.glassReview.intro')}</p>
      <div className="field">
        <label htmlFor="glass-status">{t('clinic.glassReview.show')}</label>
        <select id="glass-status" value={status} onChange={(e) => { setStatus(e.target.value as GrantStatus); setRecent([]); }}>
          {(['unreviewed', 'reviewed', 'all'] as const).map((s) => <option key={s} value={s}>{t(`clinic.glassReview.status.${s}`)}</option>)}
        </select>
      </div>
      <QueryState query={grants} />
      {grants.data && <p role="status" className="note">{t('clinic.glassReview.count', { count: list.length })}</p>}
      <ol className="list">{list.map((g) => <GrantItem key={g.id} grant={g} onReviewed={reviewed} />)}</ol>
    </section>
  );
}
