import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber } from './format.js';
import { currentLang } from './i18n.js';
import type { Analyte } from './results.js';

/**
 * An analyte's trend as SVG drawn here (a chart library would cost ~100 KB for one line chart): the
 * usual-range band, the values joined in time order, the first and last dates and the value scale. It is an
 * image with a title and a description that say what it shows (role="img"); the same values are in the
 * table that follows it, which is the text alternative.
 */
const W = 340;
const H = 180;
const PAD = { left: 44, right: 12, top: 12, bottom: 30 };

export function TrendChart(props: { analyte: Analyte }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const id = useId();
  const points = props.analyte.points.filter((p) => p.value !== undefined && !Number.isNaN(Date.parse(p.date))).slice().reverse();
  if (points.length < 2) return null;
  const values = points.map((p) => p.value as number);
  const times = points.map((p) => Date.parse(p.date));
  const range = props.analyte.latest.range;
  const lows = [...values, ...(range?.low !== undefined ? [range.low] : []), ...(range?.high !== undefined ? [range.high] : [])];
  let min = Math.min(...lows);
  let max = Math.max(...lows);
  if (min === max) { min -= 1; max += 1; }
  // A scale on round numbers (3.5 to 8, not 3.67 to 7.63), never below zero for values that are not.
  let step = 10 ** Math.floor(Math.log10(max - min));
  if ((max - min) / step < 3) step /= 2;
  const floorMin = Math.floor(min / step) * step;
  min = min >= 0 ? Math.max(0, floorMin === min ? min - step : floorMin) : floorMin;
  max = Math.ceil(max / step) * step === max ? max + step : Math.ceil(max / step) * step;
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const x = (time: number) => PAD.left + (t1 === t0 ? 0.5 : (time - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (value: number) => PAD.top + (1 - (value - min) / (max - min)) * (H - PAD.top - PAD.bottom);
  const line = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(times[i] as number).toFixed(1)},${y(p.value as number).toFixed(1)}`).join(' ');
  const bandTop = y(range?.high ?? max);
  const bandBottom = y(range?.low ?? min);
  const hasBand = range?.low !== undefined || range?.high !== undefined;
  const unit = props.analyte.unit;
  const n = (v: number) => formatNumber(v, lang, 2);
  const desc = t('portal.results.trendDesc', {
    count: points.length, first: formatDate(points[0]?.date, lang), last: formatDate(points[points.length - 1]?.date, lang),
    min: n(Math.min(...values)), max: n(Math.max(...values)), latest: n(values[values.length - 1] as number), unit,
  });
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-t ${id}-d`} focusable="false">
        <title id={`${id}-t`}>{t('portal.results.trendTitle', { name: props.analyte.name })}</title>
        <desc id={`${id}-d`}>{desc}</desc>
        {hasBand && <rect className="chart-band" x={PAD.left} y={bandTop} width={W - PAD.left - PAD.right} height={Math.max(0, bandBottom - bandTop)} />}
        <line className="chart-axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
        <line className="chart-axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} />
        <text className="chart-label" x={PAD.left - 4} y={y(max) + 4} textAnchor="end">{n(max)}</text>
        <text className="chart-label" x={PAD.left - 4} y={y(min)} textAnchor="end">{n(min)}</text>
        <text className="chart-label" x={PAD.left} y={H - 10} textAnchor="start">{formatDate(points[0]?.date, lang)}</text>
        <text className="chart-label" x={W - PAD.right} y={H - 10} textAnchor="end">{formatDate(points[points.length - 1]?.date, lang)}</text>
        <path className="chart-line" d={line} />
        {points.map((p, i) => {
          const outside = p.flag !== 'normal' && p.flag !== 'unknown';
          const cx = x(times[i] as number);
          const cy = y(p.value as number);
          // Outside the usual range: a square, not only another colour.
          return outside
            ? <rect key={p.id} className="chart-point outside" x={cx - 4} y={cy - 4} width={8} height={8} />
            : <circle key={p.id} className="chart-point" cx={cx} cy={cy} r={4} />;
        })}
      </svg>
      <figcaption className="note">
        {hasBand && <span><span aria-hidden="true" className="legend-band" /> {t('portal.results.trendBand')}</span>}
        {hasBand ? ' · ' : ''}<span>{t('portal.results.unit', { unit })}</span>
      </figcaption>
    </figure>
  );
}
