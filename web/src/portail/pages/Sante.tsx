import type { AllergyIntolerance, CodeableConcept, Condition, Immunization, Resource } from '@medplum/fhirtypes';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../shared/format.js';
import { currentLang, type Lang } from '../../shared/i18n.js';
import { SECTION, sectionOf, useSummary, type SectionView } from '../fhir.js';
import { Page, QueryState } from '../Page.js';

const CRITICALITY = ['high', 'low', 'unable-to-assess'] as const;

function label(concept: CodeableConcept | undefined, lang: Lang): string {
  const display = concept?.coding?.find((c) => c.display)?.display;
  return (lang === 'en' ? display ?? concept?.text : concept?.text ?? display) ?? '—';
}

function Entry(props: { resource: Resource }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const d = (date: string | undefined) => formatDate(date, lang);
  const r = props.resource;
  if (r.resourceType === 'Condition') {
    const c = r as Condition;
    return (
      <li className="item">
        <h3>{label(c.code, lang)}</h3>
        {(c.onsetDateTime ?? c.recordedDate) && <p>{t('portal.health.since', { date: d(c.onsetDateTime ?? c.recordedDate) })}</p>}
        {c.abatementDateTime && <p>{t('portal.health.resolved', { date: d(c.abatementDateTime) })}</p>}
      </li>
    );
  }
  if (r.resourceType === 'AllergyIntolerance') {
    const a = r as AllergyIntolerance;
    const reaction = a.reaction?.[0]?.manifestation?.map((m) => label(m, lang)).join(', ');
    const criticality = CRITICALITY.find((c) => c === a.criticality);
    return (
      <li className="item">
        <h3>{label(a.code, lang)}</h3>
        {criticality && <p><strong>{t(`portal.health.criticality.${criticality}`)}</strong></p>}
        {reaction && <p>{t('portal.health.reaction', { text: reaction })}</p>}
        {(a.onsetDateTime ?? a.recordedDate) && <p>{t('portal.health.since', { date: d(a.onsetDateTime ?? a.recordedDate) })}</p>}
      </li>
    );
  }
  if (r.resourceType === 'Immunization') {
    const i = r as Immunization;
    return (
      <li className="item">
        <h3>{label(i.vaccineCode, lang)}</h3>
        {i.occurrenceDateTime && <p>{t('portal.health.given', { date: d(i.occurrenceDateTime) })}</p>}
        {i.performer?.[0]?.actor?.display && <p>{t('portal.health.by', { who: i.performer[0].actor.display })}</p>}
        {i.lotNumber && <p>{t('portal.health.lot', { lot: i.lotNumber })}</p>}
      </li>
    );
  }
  return null;
}

function HealthSection(props: { id: string; title: string; view: SectionView }) {
  const { t } = useTranslation();
  const { view } = props;
  const shown = view.entries.filter((e) => ['Condition', 'AllergyIntolerance', 'Immunization'].includes(e.resourceType));
  return (
    <section aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {shown.length === 0 && !view.withheld && <p>{t('portal.health.none')}</p>}
      {shown.length > 0 && <ul className="list">{shown.map((r, i) => <Entry key={r.id ?? i} resource={r} />)}</ul>}
      {view.withheld && <p className="note">{t('portal.health.withheld')}</p>}
    </section>
  );
}

/** Santé: problems, past illnesses, allergies and vaccinations from the person's IPS ($summary). */
export function Sante() {
  const { t } = useTranslation();
  const summary = useSummary();
  return (
    <Page title={t('portal.health.title')}>
      <p>{t('portal.health.intro')}</p>
      <QueryState query={summary} />
      {summary.data && (
        <>
          <HealthSection id="h-problems" title={t('portal.health.problems')} view={sectionOf(summary.data, SECTION.problems)} />
          <HealthSection id="h-allergies" title={t('portal.health.allergies')} view={sectionOf(summary.data, SECTION.allergies)} />
          <HealthSection id="h-immunizations" title={t('portal.health.immunizations')} view={sectionOf(summary.data, SECTION.immunizations)} />
          <HealthSection id="h-past" title={t('portal.health.pastIllness')} view={sectionOf(summary.data, SECTION.pastIllness)} />
          <section aria-labelledby="h-ips">
            <h2 id="h-ips">{t('portal.health.ipsTitle')}</h2>
            <p>{t('portal.health.ipsText')}</p>
          </section>
        </>
      )}
    </Page>
  );
}
