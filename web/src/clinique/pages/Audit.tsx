import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { accessOf } from '../../shared/access-log.js';
import { formatDateTime } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { Page, QueryState } from '../../shared/Page.js';
import { TableScroll } from '../../shared/TableScroll.js';
import { api, useSession } from '../session.js';
import { grantOfEvent, grantsPath, type Grant } from '../glass-review.js';
import { GlassReviews, GRANTS_KEY, ReviewText } from './GlassReviews.js';

interface Filters {
  readonly agent: string;
  readonly patient: string;
  readonly since: string;
  readonly until: string;
  readonly action: string;
  readonly outcome: string;
  readonly breakGlass: boolean;
}

const NONE: Filters = { agent: '', patient: '', since: '', until: '', action: '', outcome: '', breakGlass: false };
const ACTIONS = ['R', 'C', 'U', 'D', 'E', 'login', 'login-failed'] as const;
const OUTCOMES = ['0', '4', '8'] as const;

interface ChainReport {
  readonly ok: boolean;
  readonly records: number;
  readonly unsealed: number;
  readonly lastHash?: string;
  readonly brokenAt?: { readonly id: number; readonly chainSeq: number; readonly uid: string };
  readonly why?: string;
}

/** The query of the trail's search (GET /auth/admin/audit). */
export function auditQuery(f: Filters): string {
  const q = new URLSearchParams();
  if (f.agent.trim()) q.set('agent', f.agent.trim());
  if (f.patient.trim()) q.set('patient', f.patient.trim().replace(/^Patient\//, ''));
  if (f.since) q.append('date', `ge${f.since}`);
  if (f.until) q.append('date', `le${f.until}T23:59:59Z`);
  if (f.action) q.set('action', f.action);
  if (f.outcome) q.set('outcome', f.outcome);
  if (f.breakGlass) q.set('break-glass', 'true');
  q.set('_count', '50');
  return q.toString();
}

function Verify() {
  const { t } = useTranslation();
  const { client } = useSession();
  const verify = useMutation({ mutationFn: () => api<ChainReport>(client, '/auth/admin/audit/verify') });
  const report = verify.data;
  return (
    <section aria-labelledby="verify-title">
      <h2 id="verify-title">{t('clinic.audit.verifyTitle')}</h2>
      <p>{t('clinic.audit.verifyText')}</p>
      <button type="button" className="button secondary" aria-disabled={verify.isPending ? true : undefined} onClick={() => { if (!verify.isPending) verify.mutate(); }}>{t('clinic.audit.verify')}</button>
      <div aria-live="polite">
        {verify.isPending && <p className="status">{t('clinic.audit.verifying')}</p>}
        {verify.isError && <p className="alert">{t('common.error')}</p>}
        {report && report.ok && <p className="status ok-box"><strong>{t('clinic.audit.intact', { count: report.records })}</strong><br /><span className="note">{t('clinic.audit.lastHash')} <code>{report.lastHash}</code></span></p>}
        {report && !report.ok && <p className="alert"><strong>{t('clinic.audit.broken', { id: report.brokenAt?.id ?? '?', seq: report.brokenAt?.chainSeq ?? '?', uid: report.brokenAt?.uid ?? '?' })}</strong><br />{report.why}</p>}
      </div>
    </section>
  );
}

/** Privacy officers: search the audit trail (who, which patient, when, what, outcome, break-the-glass). */
export function Audit() {
  const { t } = useTranslation();
  const lang = currentLang();
  const { client } = useSession();
  const [form, setForm] = useState<Filters>(NONE);
  const [filters, setFilters] = useState<Filters>(NONE);
  const trail = useInfiniteQuery({
    queryKey: ['audit', filters],
    initialPageParam: `/auth/admin/audit?${auditQuery(filters)}`,
    queryFn: ({ pageParam }) => api<Bundle<AuditEvent>>(client, pageParam),
    getNextPageParam: (page) => {
      const next = page.link?.find((l) => l.relation === 'next')?.url;
      return next ? new URL(next, location.origin).pathname + new URL(next, location.origin).search : undefined;
    },
  });
  // The grants with their reviews, so each break-the-glass record says whether it was found justified.
  const grants = useQuery({ queryKey: [...GRANTS_KEY, 'all'], queryFn: () => api<{ grants: Grant[] }>(client, grantsPath('all')) });
  const events = (trail.data?.pages ?? []).flatMap((p) => p.entry ?? []).map((e) => e.resource).filter((r): r is AuditEvent => Boolean(r));
  const accesses = events.map((e) => ({ event: e, access: accessOf(e) }));
  const submit = (event: FormEvent) => { event.preventDefault(); setFilters(form); };
  const set = (patch: Partial<Filters>) => setForm({ ...form, ...patch });
  return (
    <Page title={t('clinic.audit.title')}>
      <p>{t('clinic.audit.intro')}</p>
      <form className="filters" onSubmit={submit} aria-label={t('clinic.audit.filters')}>
        <div className="field"><label htmlFor="a-agent">{t('clinic.audit.agent')}</label><input id="a-agent" type="search" value={form.agent} onChange={(e) => set({ agent: e.target.value })} /></div>
        <div className="field"><label htmlFor="a-patient">{t('clinic.audit.patient')}</label><input id="a-patient" type="search" value={form.patient} onChange={(e) => set({ patient: e.target.value })} /></div>
        <div className="field"><label htmlFor="a-since">{t('clinic.audit.since')}</label><input id="a-since" type="date" value={form.since} onChange={(e) => set({ since: e.target.value })} /></div>
        <div className="field"><label htmlFor="a-until">{t('clinic.audit.until')}</label><input id="a-until" type="date" value={form.until} onChange={(e) => set({ until: e.target.value })} /></div>
        <div className="field"><label htmlFor="a-action">{t('clinic.audit.action')}</label>
          <select id="a-action" value={form.action} onChange={(e) => set({ action: e.target.value })}>
            <option value="">{t('clinic.audit.any')}</option>
            {ACTIONS.map((a) => <option key={a} value={a}>{t(`clinic.audit.actions.${a}`)}</option>)}
          </select>
        </div>
        <div className="field"><label htmlFor="a-outcome">{t('clinic.audit.outcome')}</label>
          <select id="a-outcome" value={form.outcome} onChange={(e) => set({ outcome: e.target.value })}>
            <option value="">{t('clinic.audit.any')}</option>
            {OUTCOMES.map((o) => <option key={o} value={o}>{t(`clinic.audit.outcomes.${o}`)}</option>)}
          </select>
        </div>
        <div className="field checkbox"><input id="a-glass" type="checkbox" checked={form.breakGlass} onChange={(e) => set({ breakGlass: e.target.checked })} /><label htmlFor="a-glass">{t('clinic.audit.glassOnly')}</label></div>
        <button type="submit" className="button">{t('clinic.audit.search')}</button>
      </form>
      <QueryState query={trail} />
      {trail.data && <p role="status" className="note">{t('clinic.audit.count', { count: accesses.length })}</p>}
      {accesses.length > 0 && (
        <TableScroll label={t('clinic.audit.tableLabel')}>
          <table className="audit stack">
            <caption className="visually-hidden">{t('clinic.audit.tableLabel')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('clinic.audit.colWhen')}</th>
                <th scope="col">{t('clinic.audit.colWho')}</th>
                <th scope="col">{t('clinic.audit.colWhat')}</th>
                <th scope="col">{t('clinic.audit.colPatient')}</th>
                <th scope="col">{t('clinic.audit.colOutcome')}</th>
                <th scope="col">{t('clinic.audit.colReason')}</th>
              </tr>
            </thead>
            <tbody>
              {accesses.map(({ event, access }) => (
                <tr key={event.id} className={access.breakGlass !== undefined ? 'glass-row' : undefined}>
                  <th scope="row">{formatDateTime(access.when, lang)}</th>
                  <td data-label={t('clinic.audit.colWho')}>{access.who}{access.role ? <><br /><span className="note">{t(`portal.access.roles.${access.role as 'physician'}`)}</span></> : null}{access.organization ? <><br /><span className="note">{access.organization}</span></> : null}</td>
                  <td data-label={t('clinic.audit.colWhat')}>{event.type?.display ?? event.type?.code}{access.action ? ` · ${access.action}` : ''}</td>
                  <td data-label={t('clinic.audit.colPatient')} className="ids">{access.patients.map((p) => p.replace('Patient/', '')).join(', ') || '—'}</td>
                  <td data-label={t('clinic.audit.colOutcome')}>{access.refused ? <span className="flag flag-outside">{t('clinic.audit.refused')}</span> : t('clinic.audit.ok')}</td>
                  <td data-label={t('clinic.audit.colReason')}>
                    {access.breakGlass !== undefined && <strong className="glass-tag">{t('clinic.audit.glass')}{access.breakGlass ? ` : ${access.breakGlass}` : ''}</strong>}
                    {access.breakGlass !== undefined && access.reason ? <br /> : null}
                    {access.reason ?? (access.breakGlass === undefined ? '—' : '')}
                    {access.breakGlass !== undefined && (() => {
                      const grant = grantOfEvent(event, grants.data?.grants ?? []);
                      return grant ? <><br /><ReviewText grant={grant} /></> : null;
                    })()}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {trail.hasNextPage && <p><button type="button" className="button secondary" onClick={() => void trail.fetchNextPage()} aria-disabled={trail.isFetchingNextPage ? true : undefined}>{t('clinic.audit.more')}</button></p>}
      <GlassReviews />
      <Verify />
    </Page>
  );
}
