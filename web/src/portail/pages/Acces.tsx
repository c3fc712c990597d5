import type { AuditEvent, Bundle, Organization } from '@medplum/fhirtypes';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { accessOf, isOwn, organizationsOf, type Access } from '../access-log.js';
import { Page, QueryState } from '../Page.js';
import { useSession } from '../session.js';

const ROLES = ['patient', 'proxy', 'physician', 'nurse', 'pharmacist', 'researcher', 'admin', 'privacy-officer', 'system'] as const;
const PURPOSES = ['TREAT', 'ETREAT', 'PATRQT', 'HPAYMT', 'HRESCH', 'HOPERAT', 'PUBHLTH'] as const;
const TYPES = ['Patient', 'Observation', 'Condition', 'MedicationRequest', 'MedicationDispense', 'MedicationStatement', 'AllergyIntolerance', 'Immunization', 'DiagnosticReport', 'DocumentReference', 'Encounter', 'Procedure', 'Consent', 'Composition', 'Bundle'] as const;
const known = <T extends string>(list: readonly T[], value: string | undefined): value is T => value !== undefined && (list as readonly string[]).includes(value);

/** The $access-log operation, page by page (newest first); `since` filters on the server. */
function useAccessLog(since: string) {
  const { client, patientId } = useSession();
  return useInfiniteQuery({
    queryKey: ['access-log', patientId, since],
    initialPageParam: `Patient/${encodeURIComponent(patientId)}/$access-log?_count=100${since ? `&date=ge${since}` : ''}`,
    queryFn: ({ pageParam }) => client.request<Bundle<AuditEvent>>(pageParam),
    getNextPageParam: (last) => last.link?.find((l) => l.relation === 'next')?.url,
    staleTime: 0,
  });
}

/** The names of the organisations the log names by reference (the directory is readable by every user). */
function useOrganizationNames(refs: readonly string[]) {
  const { client } = useSession();
  const ids = refs.filter((r) => r.startsWith('Organization/')).map((r) => r.slice('Organization/'.length));
  return useQuery({
    queryKey: ['Organization', 'names', ids.join(',')],
    enabled: ids.length > 0,
    queryFn: async () => {
      const found = await client.request<Organization[]>(`Organization?_id=${ids.map(encodeURIComponent).join(',')}&_elements=name&_count=${ids.length}`, { pageLimit: 0, flat: true });
      return new Map(found.map((o) => [`Organization/${o.id}`, o.name ?? `Organization/${o.id}`]));
    },
  });
}

function AccessItem(props: { access: Access; orgName: (ref: string) => string }) {
  const { t } = useTranslation();
  const a = props.access;
  const lang = currentLang();
  const what = a.what.map((w) => `${known(TYPES, w.type) ? t(`portal.access.types.${w.type}`) : w.type}${w.count > 1 ? ` (${w.count})` : ''}`).join(', ');
  return (
    <li className={`item${a.breakGlass !== undefined ? ' highlight' : ''}`}>
      <h2 className="item-title"><time dateTime={a.when}>{formatDateTime(a.when, lang)}</time> — {a.who}</h2>
      {a.breakGlass !== undefined && (
        <p className="alert-inline"><strong><span aria-hidden="true">⚠ </span>{t('portal.access.breakGlass')}</strong>{a.breakGlass ? <> — {t('portal.access.breakGlassReason', { reason: a.breakGlass })}</> : null}</p>
      )}
      {a.refused && <p><strong>{t('portal.access.refused')}</strong></p>}
      {a.role && <p>{t('portal.access.role', { role: known(ROLES, a.role) ? t(`portal.access.roles.${a.role}`) : a.role })}</p>}
      {a.organization && <p>{t('portal.access.org', { org: props.orgName(a.organization) })}</p>}
      {what && <p>{t('portal.access.what', { what })}</p>}
      {a.purpose && <p>{t('portal.access.why', { why: known(PURPOSES, a.purpose) ? t(`portal.access.purposes.${a.purpose}`) : a.purpose })}</p>}
      {a.app && <p className="note">{t('portal.access.app', { app: a.app })}</p>}
    </li>
  );
}

/** Qui a consulté mon dossier: every access, break-the-glass highlighted, filtered by period and organisation. */
export function Acces() {
  const { t } = useTranslation();
  const { client } = useSession();
  const ids = useId();
  const [since, setSince] = useState('');
  const [organization, setOrganization] = useState('');
  const [includeOwn, setIncludeOwn] = useState(false);
  const log = useAccessLog(since);
  const all = (log.data?.pages ?? []).flatMap((page) => (page.entry ?? []).map((e) => e.resource).filter((r): r is AuditEvent => Boolean(r))).map(accessOf);
  const self = [client.getFhirUser(), client.getPatientId() ? `Patient/${client.getPatientId()}` : undefined].filter((s): s is string => Boolean(s));
  const own = all.filter((a) => isOwn(a, self));
  const shown = all.filter((a) => (includeOwn || !isOwn(a, self)) && (!organization || a.organization === organization));
  const organizations = organizationsOf(all);
  const names = useOrganizationNames(organizations);
  const orgName = (ref: string) => names.data?.get(ref) ?? ref;
  return (
    <Page title={t('portal.access.title')}>
      <p>{t('portal.access.intro')}</p>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label={t('portal.access.filters')}>
        <div className="field">
          <label htmlFor={`${ids}-since`}>{t('portal.access.since')}</label>
          <input id={`${ids}-since`} type="date" value={since} onChange={(e) => setSince(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-org`}>{t('portal.access.organization')}</label>
          <select id={`${ids}-org`} value={organization} onChange={(e) => setOrganization(e.target.value)}>
            <option value="">{t('portal.access.allOrganizations')}</option>
            {organizations.map((o) => <option key={o} value={o}>{orgName(o)}</option>)}
          </select>
        </div>
        <div className="field checkbox">
          <input id={`${ids}-own`} type="checkbox" checked={includeOwn} onChange={(e) => setIncludeOwn(e.target.checked)} />
          <label htmlFor={`${ids}-own`}>{t('portal.access.includeOwn')}</label>
        </div>
      </form>
      <QueryState query={log} />
      {log.data && (
        <p role="status">
          {t('portal.access.count', { count: shown.length })}
          {!includeOwn && own.length > 0 ? <> {t('portal.access.hiddenOwn', { count: own.length })}</> : null}
        </p>
      )}
      {log.data && shown.length === 0 && <p>{t('portal.access.none')}</p>}
      {shown.length > 0 && <ul className="list">{shown.map((a) => <AccessItem key={a.id} access={a} orgName={orgName} />)}</ul>}
      {log.hasNextPage && (
        <p><button type="button" className="button secondary" aria-disabled={log.isFetchingNextPage} onClick={() => { if (!log.isFetchingNextPage) void log.fetchNextPage(); }}>{t('portal.access.more')}</button></p>
      )}
    </Page>
  );
}
