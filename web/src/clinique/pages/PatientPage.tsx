import type { Patient } from '@medplum/fhirtypes';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { currentLang } from '../../shared/i18n.js';
import { Page, QueryState } from '../../shared/Page.js';
import { followLink } from '../../shared/router.js';
import { useGrant } from '../break-glass.js';
import { usePatient, useSummary } from '../data.js';
import { nameOf } from '../patient-search.js';
import { PATHS, type PatientTab } from '../routes.js';
import { isWithheld, summarySections } from '../summary.js';
import { BreakGlass } from './BreakGlass.js';
import { PatientBanner } from './PatientBanner.js';
import { PatientDocuments } from './PatientDocuments.js';
import { PatientMedications } from './PatientMedications.js';
import { PatientResults } from './PatientResults.js';
import { PatientSummary } from './PatientSummary.js';
import { PatientTimeline } from './PatientTimeline.js';

const TABS: readonly PatientTab[] = ['summary', 'timeline', 'results', 'medications', 'documents'];

function Tabs(props: { id: string; tab: PatientTab; name: string }) {
  const { t } = useTranslation();
  return (
    <nav className="subtabs" aria-label={t('clinic.patient.tabsLabel', { name: props.name })}>
      <ul>
        {TABS.map((tab) => {
          const href = PATHS.patient(props.id, tab);
          return <li key={tab}><a href={href} aria-current={tab === props.tab ? 'page' : undefined} onClick={(e) => followLink(e, href)}>{t(`clinic.patient.tab.${tab}`)}</a></li>;
        })}
      </ul>
    </nav>
  );
}

/** A patient's pages: the banner on every one, consent made visible, then the summary, results or medications. */
export function PatientPage(props: { id: string; tab: PatientTab }) {
  const { t } = useTranslation();
  const patient = usePatient(props.id);
  const summary = useSummary(props.id);
  const grant = useGrant(props.id);
  // A grant just obtained: its banner takes the focus (the form that asked for it is gone).
  const banner = useRef<HTMLDivElement>(null);
  const granted = grant?.expires;
  useEffect(() => {
    if (granted) banner.current?.focus();
  }, [granted]);
  const name = nameOf(patient.data as Patient | undefined);
  const title = `${t(`clinic.patient.tab.${props.tab}`)}${name ? ` — ${name}` : ''}`;
  if (!patient.data) {
    return (
      <Page title={patient.isError ? t('clinic.patient.absent') : t('common.loading')}>
        <QueryState query={patient} />
        <p><a href={PATHS.patients} onClick={(e) => followLink(e, PATHS.patients)}>{t('clinic.patient.backToSearch')}</a></p>
      </Page>
    );
  }
  const sections = summarySections(summary.data, currentLang());
  const withheld = isWithheld(sections);
  return (
    <Page title={title}>
      <PatientBanner patient={patient.data} id={props.id} sections={sections} />
      {grant && (
        <div className="glass-active" role="status" tabIndex={-1} ref={banner}>
          <p><strong>{t('clinic.glass.active', { time: new Date(grant.expires).toLocaleTimeString(t('clinic.locale'), { hour: '2-digit', minute: '2-digit' }) })}</strong></p>
          <p>{t('clinic.glass.activeReason', { reason: grant.reason })}</p>
          <p className="note">{t('clinic.glass.logged')}</p>
        </div>
      )}
      {withheld && !grant && <BreakGlass patientId={props.id} />}
      <Tabs id={props.id} tab={props.tab} name={name} />
      {props.tab === 'summary' && <PatientSummary query={summary} sections={sections} />}
      {props.tab === 'results' && <PatientResults id={props.id} />}
      {props.tab === 'medications' && <PatientMedications id={props.id} />}
      {props.tab === 'timeline' && <PatientTimeline id={props.id} />}
      {props.tab === 'documents' && <PatientDocuments id={props.id} />}
    </Page>
  );
}
