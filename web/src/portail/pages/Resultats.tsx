import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { AnalyteSection } from '../../shared/Analyte.js';
import { currentLang } from '../../shared/i18n.js';
import { Page, QueryState } from '../../shared/Page.js';
import { groupByAnalyte, isOutside } from '../../shared/results.js';
import { labResultsQuery } from '../queries.js';
import { useSession } from '../session.js';

/** Every laboratory result of the person (all pages of the search, through fhirclient). */
function useLabResults() {
  const { client, patientId } = useSession();
  return useQuery(labResultsQuery(client, patientId));
}

/** Résultats: by analyte across laboratories, the range and the flag in words, a trend with its table. */
export function Resultats() {
  const { t } = useTranslation();
  const results = useLabResults();
  const analytes = results.data ? groupByAnalyte(results.data, currentLang()) : [];
  const outside = analytes.filter((a) => isOutside(a.latest.flag));
  return (
    <Page title={t('portal.results.title')}>
      <p>{t('portal.results.intro')}</p>
      <QueryState query={results} />
      {results.data && analytes.length === 0 && <p>{t('portal.results.none')}</p>}
      {analytes.length > 0 && (
        <div className="status">
          <p>{outside.length > 0 ? t('portal.results.outsideSummary', { count: outside.length, names: outside.map((a) => a.name).join(', ') }) : t('portal.results.allUsual')}</p>
          {outside.length > 0 && <p>{t('portal.results.advice')}</p>}
        </div>
      )}
      {analytes.map((analyte, i) => <AnalyteSection key={analyte.key} analyte={analyte} index={i} />)}
    </Page>
  );
}
