import type { Observation } from '@medplum/fhirtypes';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { TableScroll } from '../../shared/TableScroll.js';
import { Page, QueryState } from '../Page.js';
import { groupByAnalyte, isOutside, type Analyte, type Flag, type Range, type ResultPoint } from '../results.js';
import { useSession } from '../session.js';
import { TrendChart } from '../TrendChart.js';

/** Every laboratory result of the person (all pages of the search, through fhirclient). */
function useLabResults() {
  const { client, patientId } = useSession();
  return useQuery({
    queryKey: ['Observation', 'laboratory', patientId],
    queryFn: () => client.request<Observation[]>(`Observation?patient=${encodeURIComponent(patientId)}&category=laboratory&_count=200`, { pageLimit: 0, flat: true }),
  });
}

const FLAG_MARK: Record<Flag, string> = { normal: '✓', high: '▲', low: '▼', criticalHigh: '▲▲', criticalLow: '▼▼', abnormal: '!', unknown: '·' };

function FlagText(props: { flag: Flag }) {
  const { t } = useTranslation();
  return (
    <span className={`flag flag-${isOutside(props.flag) ? 'outside' : props.flag}`}>
      <span aria-hidden="true">{FLAG_MARK[props.flag]} </span>{t(`portal.results.flag.${props.flag}`)}
    </span>
  );
}

function RangeText(props: { range: Range | undefined; unit: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const n = (v: number) => formatNumber(v, lang);
  const r = props.range;
  if (r?.low !== undefined && r.high !== undefined) return <>{t('portal.results.range.between', { low: n(r.low), high: n(r.high), unit: props.unit })}</>;
  if (r?.high !== undefined) return <>{t('portal.results.range.below', { high: n(r.high), unit: props.unit })}</>;
  if (r?.low !== undefined) return <>{t('portal.results.range.above', { low: n(r.low), unit: props.unit })}</>;
  if (r?.text) return <>{r.text}</>;
  return <>{t('portal.results.range.none')}</>;
}

function valueText(p: ResultPoint, lang: ReturnType<typeof currentLang>): string {
  return p.value !== undefined ? `${formatNumber(p.value, lang)} ${p.unit}` : p.text ?? '—';
}

function AnalyteSection(props: { analyte: Analyte; index: number }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const { analyte } = props;
  const latest = analyte.latest;
  const headingId = `analyte-${props.index}`;
  return (
    <section className="analyte" aria-labelledby={headingId}>
      <h2 id={headingId}>{analyte.name}</h2>
      <p className="latest">
        <span className="latest-label">{t('portal.results.latest')} </span>
        <strong className="latest-value">{valueText(latest, lang)}</strong>{' '}
        <span>{t('portal.results.on', { date: formatDate(latest.date, lang) })}</span>
      </p>
      <p><FlagText flag={latest.flag} /></p>
      <p><RangeText range={latest.range} unit={analyte.unit} /></p>
      {latest.lab && <p className="note">{t('portal.results.at', { lab: latest.lab })}</p>}
      <TrendChart analyte={analyte} />
      {analyte.points.length > 1 && (
        <details>
          <summary>{t('portal.results.tableShow')}</summary>
          <TableScroll label={t('portal.results.tableLabel', { name: analyte.name })}>
            <table>
              <caption className="visually-hidden">{analyte.name}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('portal.results.colDate')}</th>
                  <th scope="col">{t('portal.results.colValue')}</th>
                  <th scope="col">{t('portal.results.colFlag')}</th>
                  <th scope="col">{t('portal.results.colLab')}</th>
                </tr>
              </thead>
              <tbody>
                {analyte.points.map((p) => (
                  <tr key={p.id}>
                    <th scope="row">{formatDate(p.date, lang, 'medium')}</th>
                    <td>{valueText(p, lang)}</td>
                    <td><FlagText flag={p.flag} /></td>
                    <td>{p.lab ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </details>
      )}
    </section>
  );
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
