import { useTranslation } from 'react-i18next';
import { formatDate } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { currentMedications, nameOf, SECTION, sectionOf, usePatient, useSummary } from '../fhir.js';
import { Page, QueryState } from '../Page.js';

/** Accueil: whose record this is and their current medications (from the person-wide summary). */
export function Accueil() {
  const { t } = useTranslation();
  const lang = currentLang();
  const patient = usePatient();
  const summary = useSummary();
  const medications = sectionOf(summary.data, SECTION.medications);
  const current = currentMedications(medications);
  return (
    <Page title={t('portal.home.title')}>
      <QueryState query={patient} />
      {patient.data && (
        <>
          <p className="lead">{t('portal.home.hello', { name: nameOf(patient.data) })}</p>
          {patient.data.birthDate && <p>{t('portal.home.born', { date: formatDate(patient.data.birthDate, lang) })}</p>}
        </>
      )}
      <section aria-labelledby="meds-title">
        <h2 id="meds-title">{t('portal.home.medsTitle')}</h2>
        <QueryState query={summary} />
        {summary.data && current.length === 0 && <p>{t('portal.home.medsNone')}</p>}
        {current.length > 0 && (
          <ul className="list" aria-labelledby="meds-title">
            {current.map((m) => (
              <li key={m.key} className="item">
                <h3>{m.name}</h3>
                {m.dosage && <p>{t('portal.home.dose', { text: m.dosage })}</p>}
                {m.since && <p>{t('portal.home.since', { date: formatDate(m.since, lang) })}</p>}
                {m.by && <p>{t('portal.home.by', { who: m.by })}</p>}
              </li>
            ))}
          </ul>
        )}
        {summary.data && medications.withheld && <p className="note">{t('portal.home.medsWithheld')}</p>}
      </section>
    </Page>
  );
}
