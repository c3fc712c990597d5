import { useTranslation } from 'react-i18next';
import { formatDate } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { QueryState } from '../../shared/Page.js';
import { medicationLines } from '../../shared/medications.js';
import { TableScroll } from '../../shared/TableScroll.js';
import { useMedicationSources } from '../data.js';
import { reconcile } from '../reconcile.js';

/** Reconciliation: per drug, what was prescribed beside what was dispensed, with gaps and duplicates. */
export function PatientMedications(props: { id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const sources = useMedicationSources(props.id);
  const now = Date.now();
  const lines = sources.data ? reconcile(medicationLines(sources.data, lang, now), now) : [];
  const d = (date: string | undefined) => (date ? formatDate(date, lang, 'medium') : '—');
  return (
    <>
      <QueryState query={sources} />
      {sources.data && lines.length === 0 && <p>{t('clinic.meds.none')}</p>}
      {lines.length > 0 && (
        <TableScroll label={t('clinic.meds.tableLabel')}>
          <table className="reconcile stack">
            <caption>{t('clinic.meds.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('clinic.meds.colDrug')}</th>
                <th scope="col">{t('clinic.meds.colPrescribed')}</th>
                <th scope="col">{t('clinic.meds.colDispensed')}</th>
                <th scope="col">{t('clinic.meds.colCheck')}</th>
              </tr>
            </thead>
            <tbody>
              {lines.map(({ line, issues, pharmacies }) => (
                <tr key={line.key}>
                  <th scope="row">{line.name}<br /><span className="note">{line.current ? t('clinic.meds.current') : t('clinic.meds.past')}</span></th>
                  <td data-label={t('clinic.meds.colPrescribed')}>
                    {line.prescriptions[0] ? (
                      <>{d(line.prescriptions[0].date)}{line.prescriptions[0].by ? ` · ${line.prescriptions[0].by}` : ''}{line.prescriptions[0].dosage ? <><br />{line.prescriptions[0].dosage}</> : null}
                        {line.prescriptions.length > 1 ? <><br /><span className="note">{t('clinic.meds.more', { count: line.prescriptions.length - 1 })}</span></> : null}</>
                    ) : t('clinic.meds.noPrescription')}
                  </td>
                  <td data-label={t('clinic.meds.colDispensed')}>
                    {line.lastDispense ? (
                      <>{d(line.lastDispense.date)}{line.lastDispense.where ? ` · ${line.lastDispense.where}` : ''}{line.lastDispense.days ? <><br />{t('clinic.meds.days', { count: line.lastDispense.days })}</> : null}
                        {pharmacies.length > 1 ? <><br /><span className="note">{t('clinic.meds.pharmacies', { names: pharmacies.join(', ') })}</span></> : null}</>
                    ) : t('clinic.meds.noDispense')}
                  </td>
                  <td data-label={t('clinic.meds.colCheck')}>{issues.length === 0 ? t('clinic.meds.ok') : <ul className="issues">{issues.map((i) => <li key={i}>{t(`clinic.meds.issue.${i}`)}</li>)}</ul>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </>
  );
}
