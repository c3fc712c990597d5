import { useTranslation } from 'react-i18next';
import { AnalyteSection } from '../../shared/Analyte.js';
import { currentLang } from '../../shared/i18n.js';
import { QueryState } from '../../shared/Page.js';
import { groupByAnalyte, isOutside } from '../../shared/results.js';
import { useLabResults } from '../data.js';

/** Results from every laboratory of the person, by analyte, with the portal's trend chart and table. */
export function PatientResults(props: { id: string }) {
  const { t } = useTranslation();
  const results = useLabResults(props.id);
  const analytes = results.data ? groupByAnalyte(results.data, currentLang()) : [];
  const outside = analytes.filter((a) => isOutside(a.latest.flag));
  return (
    <>
      <QueryState query={results} />
      {results.data && analytes.length === 0 && <p>{t('clinic.results.none')}</p>}
      {analytes.length > 0 && (
        <p className="status">{outside.length > 0 ? t('clinic.results.outside', { count: outside.length, names: outside.map((a) => a.name).join(', ') }) : t('clinic.results.allUsual', { count: analytes.length })}</p>
      )}
      {analytes.map((analyte, i) => <AnalyteSection key={analyte.key} analyte={analyte} index={i} stack />)}
    </>
  );
}
