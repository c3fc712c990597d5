import type { Patient } from '@medplum/fhirtypes';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { useAlerts } from '../data.js';
import { ageOn, namOf, nameOf } from '../patient-search.js';
import { ALLERGIES, type SummarySection } from '../summary.js';

/** Who this is, on every patient page: name, age, sex, NAM, family doctor, allergies and alerts. */
export function PatientBanner(props: { patient: Patient; id: string; sections: readonly SummarySection[] }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const { patient } = props;
  const alerts = useAlerts(props.id);
  const age = ageOn(patient.birthDate, new Date());
  const allergies = props.sections.find((s) => s.code === ALLERGIES);
  const doctor = patient.generalPractitioner?.map((g) => g.display).filter(Boolean).join(', ');
  const nam = namOf(patient);
  const alertTexts = (alerts.data ?? []).map((f) => f.code?.text ?? f.code?.coding?.[0]?.display).filter(Boolean);
  return (
    <section className="patient-banner" aria-label={t('clinic.banner.label')}>
      <p className="patient-name"><strong>{nameOf(patient)}</strong></p>
      <dl className="facts">
        <div><dt>{t('clinic.banner.age')}</dt><dd>{age !== undefined ? t('clinic.banner.years', { count: age }) : '—'}{patient.birthDate ? ` (${formatDate(patient.birthDate, lang, 'medium')})` : ''}</dd></div>
        <div><dt>{t('clinic.banner.sex')}</dt><dd>{patient.gender ? t(`clinic.sex.${patient.gender as 'female'}`) : '—'}</dd></div>
        <div><dt>{t('clinic.banner.nam')}</dt><dd>{nam ?? '—'}</dd></div>
        <div><dt>{t('clinic.banner.doctor')}</dt><dd>{doctor || t('clinic.banner.noDoctor')}</dd></div>
        <div className="wide"><dt>{t('clinic.banner.allergies')}</dt><dd>{allergies ? (allergies.lines.length ? allergies.lines.map((l) => l.text).join(', ') : allergies.withheld ? t('clinic.banner.allergiesHidden') : t('clinic.banner.noAllergy')) : '…'}{allergies?.withheld && allergies.lines.length > 0 ? ` ${t('clinic.banner.moreHidden')}` : ''}</dd></div>
        {alertTexts.length > 0 && <div className="wide alert-inline"><dt>{t('clinic.banner.alerts')}</dt><dd>{alertTexts.join(', ')}</dd></div>}
      </dl>
    </section>
  );
}
