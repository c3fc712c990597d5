import type { Coding, Observation, ObservationReferenceRange } from '@medplum/fhirtypes';
import type { Lang } from './lang.js';
import { convert } from './units.js';

/**
 * Lab results as a person reads them (pure): grouped by analyte across laboratories (LOINC code, else the
 * name), values in one unit per analyte where the units convert, the reference range and the flag as facts
 * the page puts in words (never a colour alone).
 */
export type Flag = 'normal' | 'high' | 'low' | 'criticalHigh' | 'criticalLow' | 'abnormal' | 'unknown';

export interface Range {
  readonly low?: number;
  readonly high?: number;
  readonly text?: string;
}

export interface ResultPoint {
  readonly id: string;
  readonly date: string;
  readonly value?: number;
  /** A result that is not a number (a text, a code): shown as it is, not plotted. */
  readonly text?: string;
  readonly unit: string;
  readonly flag: Flag;
  readonly range?: Range;
  readonly lab?: string;
}

export interface Analyte {
  readonly key: string;
  readonly name: string;
  readonly unit: string;
  /** Newest first. */
  readonly points: readonly ResultPoint[];
  readonly latest: ResultPoint;
}

const LOINC = 'http://loinc.org';
const INTERPRETATION: Record<string, Flag> = {
  N: 'normal', H: 'high', HU: 'high', L: 'low', LU: 'low', HH: 'criticalHigh', LL: 'criticalLow', A: 'abnormal', AA: 'abnormal',
};

function loinc(obs: Observation): Coding | undefined {
  return obs.code?.coding?.find((c) => c.system === LOINC && c.code);
}

/** The analyte's name: the laboratory's own text in French, LOINC's display in English (LOINC is English). */
export function analyteName(obs: Observation, lang: Lang): string {
  const code = loinc(obs);
  if (lang === 'en') return code?.display ?? obs.code?.text ?? code?.code ?? '—';
  return obs.code?.text ?? code?.display ?? code?.code ?? '—';
}

function rangeOf(range: ObservationReferenceRange | undefined, unit: string): Range | undefined {
  if (!range) return undefined;
  const bound = (q: { value?: number; code?: string; unit?: string } | undefined) => {
    if (q?.value === undefined) return undefined;
    const from = q.code ?? q.unit ?? unit;
    return convert(q.value, from, unit) ?? (from === unit ? q.value : undefined);
  };
  const low = bound(range.low);
  const high = bound(range.high);
  if (low === undefined && high === undefined && !range.text) return undefined;
  return { ...(low !== undefined ? { low } : {}), ...(high !== undefined ? { high } : {}), ...(range.text ? { text: range.text } : {}) };
}

/** The flag: the laboratory's interpretation, else the value against the range. */
export function flagOf(interpretation: Observation['interpretation'], value: number | undefined, range: Range | undefined): Flag {
  for (const concept of interpretation ?? []) {
    for (const coding of concept.coding ?? []) {
      const flag = coding.code ? INTERPRETATION[coding.code] : undefined;
      if (flag) return flag;
    }
  }
  if (value === undefined || !range || (range.low === undefined && range.high === undefined)) return 'unknown';
  if (range.high !== undefined && value > range.high) return 'high';
  if (range.low !== undefined && value < range.low) return 'low';
  return 'normal';
}

function dateOf(obs: Observation): string {
  return obs.effectiveDateTime ?? obs.effectivePeriod?.start ?? obs.issued ?? '';
}

/** Groups results by analyte; each analyte in the unit of its newest numeric result. */
export function groupByAnalyte(observations: readonly Observation[], lang: Lang): Analyte[] {
  const groups = new Map<string, Observation[]>();
  for (const obs of observations) {
    if (obs.status === 'entered-in-error' || obs.status === 'cancelled') continue;
    const code = loinc(obs);
    const key = code ? `loinc:${code.code}` : `text:${obs.code?.text ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), obs]);
  }
  const analytes: Analyte[] = [];
  for (const [key, members] of groups) {
    const sorted = [...members].sort((a, b) => dateOf(b).localeCompare(dateOf(a)));
    const newest = sorted.find((o) => o.valueQuantity?.value !== undefined) ?? sorted[0];
    if (!newest) continue;
    const target = newest.valueQuantity?.code ?? newest.valueQuantity?.unit ?? '';
    const byUnit = new Map<string, ResultPoint[]>();
    for (const obs of sorted) {
      const quantity = obs.valueQuantity;
      const from = quantity?.code ?? quantity?.unit ?? '';
      const converted = quantity?.value === undefined ? undefined : convert(quantity.value, from, target);
      // A unit that does not convert to the analyte's makes its own group (named with its unit).
      const unit = quantity?.value === undefined || converted !== undefined ? target : from;
      const value = converted ?? quantity?.value;
      const range = rangeOf(obs.referenceRange?.[0], unit);
      const text = quantity?.value === undefined ? obs.valueString ?? obs.valueCodeableConcept?.text ?? obs.valueCodeableConcept?.coding?.[0]?.display : undefined;
      const point: ResultPoint = {
        id: obs.id ?? `${key}-${byUnit.size}`, date: dateOf(obs), unit, flag: flagOf(obs.interpretation, value, range),
        ...(value !== undefined ? { value } : {}), ...(text ? { text } : {}), ...(range ? { range } : {}),
        ...(obs.performer?.[0]?.display ? { lab: obs.performer[0].display } : {}),
      };
      byUnit.set(unit, [...(byUnit.get(unit) ?? []), point]);
    }
    for (const [unit, points] of byUnit) {
      const latest = points[0] as ResultPoint;
      const name = analyteName(newest, lang);
      analytes.push({ key: unit === target ? key : `${key}|${unit}`, name: unit === target ? name : `${name} (${unit})`, unit, points, latest });
    }
  }
  return analytes.sort((a, b) => a.name.localeCompare(b.name, lang));
}

/** Whether the flag says the value is outside what is usual. */
export function isOutside(flag: Flag): boolean {
  return flag !== 'normal' && flag !== 'unknown';
}
