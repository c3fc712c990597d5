/**
 * Conditions the generator diagnoses (facts: codes and their displays).
 *
 * Sources: SNOMED CT International Edition concept ids and preferred terms (SNOMED International, via the
 * SNOMED CT browser); ICD-10-CA codes (Canadian Institute for Health Information, ICD-10-CA 2022), given
 * only where the Canadian code is the same as the WHO ICD-10 code at that level or is a known Canadian
 * subdivision (I10.0); where we could not confirm the ICD-10-CA leaf (atrial fibrillation), the condition
 * carries SNOMED CT only rather than a guessed code. French names are the usual clinical terms.
 */

export type SensitiveCategory = 'mental-health' | 'sexual-health' | 'substance-use';

export interface ConditionCode {
  readonly key: string;
  readonly snomed: readonly [code: string, display: string];
  readonly icd10ca?: readonly [code: string, display: string];
  /** The clinical French name, used in narratives and notes. */
  readonly fr: string;
  readonly en: string;
  readonly sensitive?: SensitiveCategory;
}

const c = (key: string, snomed: [string, string], icd10ca: [string, string] | undefined, fr: string, en: string, sensitive?: SensitiveCategory): ConditionCode => ({
  key, snomed, ...(icd10ca ? { icd10ca } : {}), fr, en, ...(sensitive ? { sensitive } : {}),
});

export const CONDITIONS = {
  diabetes: c('diabetes', ['44054006', 'Diabetes mellitus type 2'], ['E11.9', 'Type 2 diabetes mellitus without complication'], 'diabète de type 2', 'type 2 diabetes'),
  hypertension: c('hypertension', ['59621000', 'Essential hypertension'], ['I10.0', 'Benign hypertension'], 'hypertension artérielle essentielle', 'essential hypertension'),
  dyslipidemia: c('dyslipidemia', ['55822004', 'Hyperlipidemia'], ['E78.5', 'Hyperlipidaemia, unspecified'], 'dyslipidémie', 'hyperlipidemia'),
  copd: c('copd', ['13645005', 'Chronic obstructive lung disease'], ['J44.9', 'Chronic obstructive pulmonary disease, unspecified'], 'maladie pulmonaire obstructive chronique (MPOC)', 'chronic obstructive pulmonary disease (COPD)'),
  asthma: c('asthma', ['195967001', 'Asthma'], ['J45.9', 'Asthma, unspecified'], 'asthme', 'asthma'),
  depression: c('depression', ['35489007', 'Depressive disorder'], ['F32.9', 'Depressive episode, unspecified'], 'trouble dépressif', 'depressive disorder', 'mental-health'),
  anxiety: c('anxiety', ['21897009', 'Generalized anxiety disorder'], ['F41.1', 'Generalized anxiety disorder'], 'trouble d’anxiété généralisée', 'generalized anxiety disorder', 'mental-health'),
  heartFailure: c('heartFailure', ['42343007', 'Congestive heart failure'], ['I50.0', 'Congestive heart failure'], 'insuffisance cardiaque', 'congestive heart failure'),
  ckd: c('ckd', ['433144002', 'Chronic kidney disease stage 3'], ['N18.3', 'Chronic kidney disease, stage 3'], 'insuffisance rénale chronique de stade 3', 'chronic kidney disease stage 3'),
  hypothyroidism: c('hypothyroidism', ['40930008', 'Hypothyroidism'], ['E03.9', 'Hypothyroidism, unspecified'], 'hypothyroïdie', 'hypothyroidism'),
  atrialFibrillation: c('atrialFibrillation', ['49436004', 'Atrial fibrillation'], undefined, 'fibrillation auriculaire', 'atrial fibrillation'),
  alcoholUse: c('alcoholUse', ['7200002', 'Alcoholism'], ['F10.2', 'Mental and behavioural disorders due to use of alcohol, dependence syndrome'], 'trouble lié à l’usage de l’alcool', 'alcohol use disorder', 'substance-use'),
  opioidUse: c('opioidUse', ['75544000', 'Opioid dependence'], ['F11.2', 'Mental and behavioural disorders due to use of opioids, dependence syndrome'], 'trouble lié à l’usage des opioïdes', 'opioid use disorder', 'substance-use'),
  tobacco: c('tobacco', ['56294008', 'Nicotine dependence'], ['F17.2', 'Mental and behavioural disorders due to use of tobacco, dependence syndrome'], 'tabagisme (dépendance à la nicotine)', 'nicotine dependence', 'substance-use'),
  osteoarthritisKnee: c('osteoarthritisKnee', ['239873007', 'Osteoarthritis of knee'], ['M17.9', 'Gonarthrosis, unspecified'], 'gonarthrose', 'osteoarthritis of the knee'),
  // Notifiable conditions (MADO, maladies à déclaration obligatoire) and acute episodes.
  influenza: c('influenza', ['6142004', 'Influenza'], ['J10.1', 'Influenza with other respiratory manifestations, seasonal influenza virus identified'], 'influenza', 'influenza'),
  covid19: c('covid19', ['840539006', 'Disease caused by severe acute respiratory syndrome coronavirus 2'], ['U07.1', 'COVID-19, virus identified'], 'COVID-19', 'COVID-19'),
  pertussis: c('pertussis', ['27836007', 'Pertussis'], ['A37.9', 'Whooping cough, unspecified'], 'coqueluche', 'pertussis'),
  chlamydia: c('chlamydia', ['105629000', 'Chlamydial infection'], ['A56.0', 'Chlamydial infection of lower genitourinary tract'], 'infection à Chlamydia trachomatis', 'chlamydia infection', 'sexual-health'),
  lyme: c('lyme', ['23502006', 'Lyme disease'], ['A69.2', 'Lyme disease'], 'maladie de Lyme', 'Lyme disease'),
} as const satisfies Record<string, ConditionCode>;

export type ConditionKey = keyof typeof CONDITIONS;

export const CHRONIC_KEYS = [
  'diabetes', 'hypertension', 'dyslipidemia', 'copd', 'asthma', 'depression', 'anxiety', 'heartFailure', 'ckd',
  'hypothyroidism', 'atrialFibrillation', 'alcoholUse', 'opioidUse', 'tobacco', 'osteoarthritisKnee',
] as const satisfies readonly ConditionKey[];
export type ChronicKey = (typeof CHRONIC_KEYS)[number];

export const NOTIFIABLE_KEYS = ['influenza', 'covid19', 'pertussis', 'chlamydia', 'lyme'] as const satisfies readonly ConditionKey[];
export type NotifiableKey = (typeof NOTIFIABLE_KEYS)[number];

/** Allergies and intolerances: substance (SNOMED CT substance concepts) and a typical reaction. */
export interface AllergyCode {
  readonly key: string;
  readonly substance: readonly [string, string];
  readonly category: 'medication' | 'food' | 'environment';
  readonly type: 'allergy' | 'intolerance';
  readonly reactions: readonly (readonly [string, string])[];
  readonly fr: string;
}

export const ALLERGIES: readonly AllergyCode[] = [
  { key: 'penicillin', substance: ['764146007', 'Penicillin'], category: 'medication', type: 'allergy', reactions: [['247472004', 'Wheal'], ['271807003', 'Eruption of skin']], fr: 'pénicilline' },
  { key: 'amoxicillin', substance: ['372687004', 'Amoxicillin'], category: 'medication', type: 'allergy', reactions: [['271807003', 'Eruption of skin']], fr: 'amoxicilline' },
  { key: 'codeine', substance: ['387494007', 'Codeine'], category: 'medication', type: 'intolerance', reactions: [['422587007', 'Nausea']], fr: 'codéine' },
  { key: 'ibuprofen', substance: ['387207008', 'Ibuprofen'], category: 'medication', type: 'intolerance', reactions: [['422587007', 'Nausea']], fr: 'ibuprofène' },
  { key: 'peanut', substance: ['762952008', 'Peanut'], category: 'food', type: 'allergy', reactions: [['39579001', 'Anaphylaxis'], ['247472004', 'Wheal']], fr: 'arachides' },
  { key: 'latex', substance: ['111088007', 'Latex'], category: 'environment', type: 'allergy', reactions: [['271807003', 'Eruption of skin']], fr: 'latex' },
];
