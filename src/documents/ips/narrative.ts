import type { Narrative, Resource } from '@medplum/fhirtypes';
import type { Bilingual, Lang } from '../language.js';
import { codeIn, conceptLabel, firstDate, type Json } from './facts.js';
import { clinicalDate } from './rules.js';
import type { SectionKey } from './sections.js';
import { isPdfOnly, PDF_ONLY_LABEL } from '../pdf-only.js';

/**
 * Human-readable narratives generated from the entries, in the reader's language: one table per section
 * (a row per entry), and the Composition's own summary. Everything taken from a resource is escaped.
 */
export function escapeXhtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function xhtml(inner: string): Narrative {
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${inner}</div>` };
}

const STATUS: Record<string, Bilingual> = {
  active: { fr: 'actif', en: 'active' }, recurrence: { fr: 'récidive', en: 'recurrence' }, relapse: { fr: 'rechute', en: 'relapse' },
  inactive: { fr: 'inactif', en: 'inactive' }, remission: { fr: 'rémission', en: 'remission' }, resolved: { fr: 'résolu', en: 'resolved' },
  completed: { fr: 'terminé', en: 'completed' }, stopped: { fr: 'arrêté', en: 'stopped' }, intended: { fr: 'prévu', en: 'intended' },
  'on-hold': { fr: 'suspendu', en: 'on hold' }, high: { fr: 'élevée', en: 'high' }, low: { fr: 'faible', en: 'low' },
  'unable-to-assess': { fr: 'non évaluable', en: 'unable to assess' }, final: { fr: 'final', en: 'final' },
  preliminary: { fr: 'préliminaire', en: 'preliminary' }, amended: { fr: 'modifié', en: 'amended' }, corrected: { fr: 'corrigé', en: 'corrected' },
};
const status = (code: string | undefined, lang: Lang) => (code ? STATUS[code]?.[lang] ?? code : '');
const day = (value: string | undefined) => value?.slice(0, 10) ?? '';

function number(value: unknown, lang: Lang): string {
  if (typeof value !== 'number') return '';
  return lang === 'fr' ? String(value).replace('.', ',') : String(value);
}

/** An observation's value as a reader writes it: "7,2 %", "131/66 mmHg", "Positif". */
export function valueText(o: Json, lang: Lang): string {
  const q = o.valueQuantity as Json | undefined;
  if (q) return `${number(q.value, lang)} ${String(q.unit ?? q.code ?? '')}`.trim();
  if (o.valueCodeableConcept) return conceptLabel(o.valueCodeableConcept, lang);
  if (typeof o.valueString === 'string') return o.valueString;
  if (typeof o.valueBoolean === 'boolean') return o.valueBoolean ? (lang === 'fr' ? 'oui' : 'yes') : (lang === 'fr' ? 'non' : 'no');
  if (typeof o.valueInteger === 'number') return number(o.valueInteger, lang);
  const components = Array.isArray(o.component) ? (o.component as Json[]) : [];
  const quantities = components.map((c) => c.valueQuantity as Json | undefined);
  if (quantities.length > 0 && quantities.every((q2) => q2 && q2.unit === quantities[0]?.unit)) {
    return `${quantities.map((q2) => number(q2?.value, lang)).join('/')} ${String(quantities[0]?.unit ?? '')}`.trim();
  }
  if (components.length > 0) return components.map((c) => `${conceptLabel(c.code, lang)} ${valueText(c, lang)}`).join('; ');
  if (typeof o.conclusion === 'string') return o.conclusion;
  return '';
}

const interpretation = (o: Json, lang: Lang) => (Array.isArray(o.interpretation) ? (o.interpretation as Json[]).map((i) => conceptLabel(i, lang)).join(', ') : '');

interface Table {
  readonly head: Bilingual[];
  readonly row: (r: Json, lang: Lang) => string[];
}

const h = (fr: string, en: string): Bilingual => ({ fr, en });
const dateOf = (r: Json) => day(clinicalDate(r as unknown as Resource));

const TABLES: Readonly<Record<SectionKey, Table>> = {
  problems: { head: [h('Problème', 'Problem'), h('Depuis', 'Since'), h('Statut', 'Status')], row: (r, l) => [conceptLabel(r.code, l), dateOf(r), status(codeIn(r.clinicalStatus), l)] },
  pastIllness: { head: [h('Antécédent', 'Condition'), h('Début', 'Onset'), h('Fin', 'Resolved')], row: (r, l) => [conceptLabel(r.code, l), dateOf(r), day(firstDate(r, 'abatementDateTime', 'abatementPeriod.end')), ] },
  allergies: {
    head: [h('Substance', 'Substance'), h('Réaction', 'Reaction'), h('Criticité', 'Criticality')],
    row: (r, l) => [conceptLabel(r.code, l), (Array.isArray(r.reaction) ? (r.reaction as Json[]) : []).flatMap((x) => (Array.isArray(x.manifestation) ? x.manifestation : []).map((m) => conceptLabel(m, l))).join(', '), status(r.criticality as string | undefined, l)],
  },
  medications: {
    head: [h('Médicament', 'Medication'), h('Posologie', 'Dosage'), h('Période', 'Period'), h('Statut', 'Status')],
    row: (r, l) => [conceptLabel(r.medicationCodeableConcept ?? { text: (r.medicationReference as Json | undefined)?.display }, l),
      (Array.isArray(r.dosage) ? (r.dosage as Json[]) : []).map((d) => String(d.text ?? '')).filter(Boolean).join('; '),
      `${day(firstDate(r, 'effectivePeriod.start'))} – ${day(firstDate(r, 'effectivePeriod.end'))}`.trim(), status(r.status as string, l)],
  },
  immunizations: { head: [h('Vaccin', 'Vaccine'), h('Date', 'Date')], row: (r, l) => [conceptLabel(r.vaccineCode, l), dateOf(r)] },
  results: {
    head: [h('Analyse ou examen', 'Test or exam'), h('Résultat', 'Result'), h('Date', 'Date'), h('Interprétation', 'Interpretation')],
    row: (r, l) => [conceptLabel(r.code, l), isPdfOnly(r as unknown as Resource) ? PDF_ONLY_LABEL[l] : valueText(r, l), dateOf(r), interpretation(r, l)],
  },
  procedures: { head: [h('Intervention', 'Procedure'), h('Date', 'Date')], row: (r, l) => [conceptLabel(r.code, l), dateOf(r)] },
  devices: { head: [h('Dispositif', 'Device'), h('Depuis', 'Since'), h('Statut', 'Status')], row: (r, l) => [String((r.device as Json | undefined)?.display ?? '—'), dateOf(r), status(r.status as string, l)] },
  pregnancy: { head: [h('Observation', 'Observation'), h('Valeur', 'Value'), h('Date', 'Date')], row: (r, l) => [conceptLabel(r.code, l), valueText(r, l), dateOf(r)] },
  socialHistory: { head: [h('Observation', 'Observation'), h('Valeur', 'Value'), h('Date', 'Date')], row: (r, l) => [conceptLabel(r.code, l), valueText(r, l), dateOf(r)] },
  vitalSigns: { head: [h('Mesure', 'Measurement'), h('Valeur', 'Value'), h('Date', 'Date')], row: (r, l) => [conceptLabel(r.code, l), valueText(r, l), dateOf(r)] },
  planOfCare: {
    head: [h('Plan', 'Plan'), h('Date', 'Date'), h('Statut', 'Status')],
    row: (r, l) => [String(r.title ?? r.description ?? (Array.isArray(r.category) ? conceptLabel(r.category[0], l) : r.resourceType)), dateOf(r), status(r.status as string | undefined, l)],
  },
  functionalStatus: { head: [h('Évaluation', 'Assessment'), h('Date', 'Date'), h('Résumé', 'Summary')], row: (r, l) => [conceptLabel(r.code ?? { text: r.description }, l), dateOf(r), String(r.summary ?? '')] },
  advanceDirectives: { head: [h('Directive', 'Directive'), h('Date', 'Date'), h('Statut', 'Status')], row: (r, l) => [conceptLabel((r.category as unknown[] | undefined)?.[0], l), dateOf(r), status(r.status as string, l)] },
};

const TEXT = {
  none: h('Aucune information disponible.', 'No information available.'),
  withheld: h('Des données de cette section ne vous sont pas accessibles (consentement de la personne ou confidentialité).',
    'Some data in this section is withheld from you (the person’s consent or confidentiality rules).'),
  allWithheld: h('Les données de cette section ne vous sont pas accessibles (consentement de la personne ou confidentialité).',
    'The data in this section is withheld from you (the person’s consent or confidentiality rules).'),
  current: h('Médicaments actuels', 'Current medications'),
  past: h('Médicaments antérieurs', 'Past medications'),
};

function table(key: SectionKey, entries: readonly Resource[], lang: Lang): string {
  const t = TABLES[key];
  const head = `<thead><tr>${t.head.map((c) => `<th>${escapeXhtml(c[lang])}</th>`).join('')}</tr></thead>`;
  const rows = entries.map((e) => `<tr>${t.row(e as unknown as Json, lang).map((c) => `<td>${escapeXhtml(c)}</td>`).join('')}</tr>`).join('');
  return `<table>${head}<tbody>${rows}</tbody></table>`;
}

/** A section's narrative: its entries as a table (medications split current / past), and what was withheld. */
export function sectionNarrative(key: SectionKey, entries: readonly Resource[], withheld: boolean, lang: Lang): Narrative {
  const parts: string[] = [];
  if (entries.length === 0) parts.push(`<p>${escapeXhtml((withheld ? TEXT.allWithheld : TEXT.none)[lang])}</p>`);
  else if (key === 'medications') {
    const current = entries.filter((e) => (e as unknown as Json).status === 'active');
    const past = entries.filter((e) => (e as unknown as Json).status !== 'active');
    if (current.length > 0) parts.push(`<h3>${escapeXhtml(TEXT.current[lang])}</h3>${table(key, current, lang)}`);
    if (past.length > 0) parts.push(`<h3>${escapeXhtml(TEXT.past[lang])}</h3>${table(key, past, lang)}`);
  } else parts.push(table(key, entries, lang));
  if (withheld && entries.length > 0) parts.push(`<p>${escapeXhtml(TEXT.withheld[lang])}</p>`);
  return xhtml(parts.join(''));
}
