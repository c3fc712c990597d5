import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber } from './format.js';
import { currentLang } from './i18n.js';
import { isOutside, type Analyte, type Flag, type Range, type ResultPoint } from './results.js';
import { TableScroll } from './TableScroll.js';
import { TrendChart } from './TrendChart.js';

/**
 * One analyte as the portal and the workspace show it: the latest value, its flag in words (with a shape,
 * never a colour alone), the usual range in words, the laboratory, the trend chart and the same values in
 * a table (the chart's text alternative).
 */
const FLAG_MARK: Record<Flag, string> = { normal: '✓', high: '▲', low: '▼', criticalHigh: '▲▲', criticalLow: '▼▼', abnormal: '!', unknown: '·' };

export function FlagText(props: { flag: Flag }) {
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

/** `stack`: the table of values becomes one card per value on a narrow screen (table.stack in styles.css). */
export function AnalyteSection(props: { analyte: Analyte; index: number; stack?: boolean }) {
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
            <table className={props.stack ? 'stack' : undefined}>
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
                    <td data-label={t('portal.results.colValue')}>{valueText(p, lang)}</td>
                    <td data-label={t('portal.results.colFlag')}><FlagText flag={p.flag} /></td>
                    <td data-label={t('portal.results.colLab')}>{p.lab ?? ''}</td>
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

