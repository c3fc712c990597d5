import type { Bilingual } from '../language.js';

/**
 * The IPS (2.0.0) sections Carnet fills, with their LOINC codes, titles and the resource types their
 * entries may be (the Composition-uv-ips slices). Required sections are always present; the others only
 * when they have entries or the caller was denied some (then the section says so).
 */
export type SectionKey =
  | 'problems' | 'allergies' | 'medications' | 'immunizations' | 'results' | 'procedures' | 'devices'
  | 'pastIllness' | 'pregnancy' | 'socialHistory' | 'vitalSigns' | 'planOfCare' | 'functionalStatus' | 'advanceDirectives';

export interface SectionDef {
  readonly key: SectionKey;
  readonly loinc: string;
  readonly display: string;
  readonly title: Bilingual;
  readonly required: boolean;
  /** The stored resource types this section's rule reads. */
  readonly sources: readonly string[];
}

const s = (key: SectionKey, loinc: string, display: string, fr: string, en: string, sources: string[], required = false): SectionDef =>
  ({ key, loinc, display, title: { fr, en }, required, sources });

/** In the order they appear in the document (the IPS order: required, recommended, optional). */
export const SECTIONS: readonly SectionDef[] = [
  s('problems', '11450-4', 'Problem list - Reported', 'Problèmes de santé actifs', 'Active problems', ['Condition'], true),
  s('allergies', '48765-2', 'Allergies and adverse reactions Document', 'Allergies et intolérances', 'Allergies and intolerances', ['AllergyIntolerance'], true),
  s('medications', '10160-0', 'History of Medication use Narrative', 'Médicaments', 'Medications', ['MedicationRequest', 'MedicationDispense', 'MedicationStatement'], true),
  s('immunizations', '11369-6', 'History of Immunization Narrative', 'Vaccins', 'Immunizations', ['Immunization']),
  s('results', '30954-2', 'Relevant diagnostic tests/laboratory data Narrative', 'Résultats d’analyses et d’imagerie', 'Laboratory and imaging results', ['Observation', 'DiagnosticReport']),
  s('procedures', '47519-4', 'History of Procedures Document', 'Interventions', 'Procedures', ['Procedure']),
  s('devices', '46264-8', 'History of medical device use', 'Dispositifs médicaux', 'Medical devices', ['DeviceUseStatement']),
  s('pastIllness', '11348-0', 'History of Past illness Narrative', 'Antécédents médicaux', 'History of past illness', ['Condition']),
  s('pregnancy', '10162-6', 'History of pregnancies Narrative', 'Grossesse', 'Pregnancy', ['Observation']),
  s('socialHistory', '29762-2', 'Social history Narrative', 'Habitudes de vie (tabac, alcool)', 'Social history (tobacco, alcohol)', ['Observation']),
  s('vitalSigns', '8716-3', 'Vital signs', 'Signes vitaux', 'Vital signs', ['Observation']),
  s('planOfCare', '18776-5', 'Plan of care note', 'Plan de soins', 'Plan of care', ['CarePlan', 'ImmunizationRecommendation']),
  s('functionalStatus', '47420-5', 'Functional status assessment note', 'État fonctionnel', 'Functional status', ['ClinicalImpression', 'Condition']),
  s('advanceDirectives', '42348-3', 'Advance healthcare directives', 'Directives préalables', 'Advance directives', ['Consent']),
];

/** Every stored type any section reads. */
export const SUMMARY_SOURCE_TYPES: readonly string[] = [...new Set(SECTIONS.flatMap((d) => d.sources))];
