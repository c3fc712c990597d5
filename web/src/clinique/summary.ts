import { formatNumber } from '../shared/format.js';
import type { Lang } from '../shared/lang.js';
import type { AllergyIntolerance, Bundle, CodeableConcept, Composition, Condition, Immunization, MedicationStatement, Observation, Procedure, Quantity, Resource } from '@medplum/fhirtypes';

/**
 * The IPS (`$summary`) as a clinician reads it on one screen (pure): each section with its title (in the
 * language asked of the server), one line per entry (what, and when or how much), and whether the
 * patient's consent withheld something from this reader — said without saying what.
 */
export interface SummaryLine {
  readonly key: string;
  readonly text: string;
  readonly detail?: string;
  readonly when?: string;
}

export interface SummarySection {
  readonly code: string;
  readonly title: string;
  readonly lines: readonly SummaryLine[];
  readonly withheld: boolean;
}

export const ALLERGIES = '48765-2';

function conceptText(c: CodeableConcept | undefined): string | undefined {
  return c?.text ?? c?.coding?.find((x) => x.display)?.display ?? c?.coding?.[0]?.code;
}

function quantity(q: Quantity | undefined, lang: Lang): string | undefined {
  return q?.value !== undefined ? `${formatNumber(q.value, lang)} ${q.unit ?? q.code ?? ''}`.trim() : undefined;
}

/** An observation's value in words: a quantity in the locale's numbers, or its components (120/80 mmHg). */
function observationValue(o: Observation, lang: Lang): string | undefined {
  const own = quantity(o.valueQuantity, lang) ?? o.valueString ?? conceptText(o.valueCodeableConcept);
  if (own) return own;
  const parts = (o.component ?? []).map((c) => c.valueQuantity).filter((q): q is Quantity => q?.value !== undefined);
  if (parts.length === 0) return undefined;
  const units = new Set(parts.map((q) => q.unit ?? q.code ?? ''));
  return units.size === 1 ? `${parts.map((q) => formatNumber(q.value as number, lang)).join('/')} ${[...units][0]}`.trim() : parts.map((q) => quantity(q, lang)).join(', ');
}

function lineOf(resource: Resource, key: string, lang: Lang): SummaryLine {
  switch (resource.resourceType) {
    case 'Condition': {
      const c = resource as Condition;
      return { key, text: conceptText(c.code) ?? '—', ...(c.onsetDateTime ?? c.recordedDate ? { when: c.onsetDateTime ?? c.recordedDate } : {}) };
    }
    case 'AllergyIntolerance': {
      const a = resource as AllergyIntolerance;
      const reaction = a.reaction?.flatMap((r) => r.manifestation.map(conceptText)).filter(Boolean).join(', ');
      return { key, text: conceptText(a.code) ?? '—', ...(reaction ? { detail: reaction } : {}) };
    }
    case 'MedicationStatement': {
      const m = resource as MedicationStatement;
      return { key, text: conceptText(m.medicationCodeableConcept) ?? '—', ...(m.dosage?.[0]?.text ? { detail: m.dosage[0].text } : {}), ...(m.effectivePeriod?.start ?? m.effectiveDateTime ? { when: m.effectivePeriod?.start ?? m.effectiveDateTime } : {}) };
    }
    case 'Immunization': {
      const i = resource as Immunization;
      return { key, text: conceptText(i.vaccineCode) ?? '—', ...(i.occurrenceDateTime ? { when: i.occurrenceDateTime } : {}) };
    }
    case 'Observation': {
      const o = resource as Observation;
      const value = observationValue(o, lang);
      return { key, text: conceptText(o.code) ?? '—', ...(value ? { detail: value } : {}), ...(o.effectiveDateTime ? { when: o.effectiveDateTime } : {}) };
    }
    case 'Procedure': {
      const p = resource as Procedure;
      return { key, text: conceptText(p.code) ?? '—', ...(p.performedDateTime ? { when: p.performedDateTime } : {}) };
    }
    default: {
      const any = resource as { code?: CodeableConcept; description?: string };
      return { key, text: conceptText(any.code) ?? any.description ?? resource.resourceType };
    }
  }
}

export function summarySections(bundle: Bundle | undefined, lang: Lang = 'fr'): SummarySection[] {
  const resources = new Map<string, Resource>();
  for (const entry of bundle?.entry ?? []) if (entry.fullUrl && entry.resource) resources.set(entry.fullUrl, entry.resource);
  const composition = bundle?.entry?.[0]?.resource as Composition | undefined;
  return (composition?.section ?? []).map((section, i) => {
    const code = section.code?.coding?.[0]?.code ?? String(i);
    const lines = (section.entry ?? [])
      .map((ref, j) => (ref.reference ? resources.get(ref.reference) : undefined) && lineOf(resources.get(ref.reference as string) as Resource, `${code}-${j}`, lang))
      .filter((l): l is SummaryLine => Boolean(l));
    const withheld = Boolean(section.emptyReason?.coding?.some((c) => c.code === 'withheld')) || /withheld|pas accessibles/.test(section.text?.div ?? '');
    return { code, title: section.title ?? code, lines, withheld };
  });
}

export function isWithheld(sections: readonly SummarySection[]): boolean {
  return sections.some((s) => s.withheld);
}
