/**
 * Laboratory tests and vital signs (facts: LOINC codes, UCUM units, reference intervals).
 *
 * Sources: LOINC codes and long common names (Regenstrief Institute, loinc.org); units are UCUM codes
 * (unitsofmeasure.org) in the SI units Québec laboratories report; reference intervals are the usual
 * adult intervals of Québec hospital laboratories and of Diabetes Canada's and Hypertension Canada's
 * guidelines (HbA1c, fasting glucose, lipids), rounded — a real laboratory publishes its own.
 */

export interface LabTest {
  readonly key: string;
  readonly loinc: string;
  readonly display: string;
  readonly fr: string;
  /** UCUM code and how it is shown. */
  readonly unit: string;
  readonly unitDisplay: string;
  readonly low?: number;
  readonly high?: number;
  /** Sex-specific intervals override low/high. */
  readonly female?: { readonly low?: number; readonly high?: number };
  readonly decimals: number;
}

const t = (key: string, loinc: string, display: string, fr: string, unit: string, unitDisplay: string, low: number | undefined, high: number | undefined, decimals: number, female?: { low?: number; high?: number }): LabTest => ({
  key, loinc, display, fr, unit, unitDisplay, decimals,
  ...(low !== undefined ? { low } : {}), ...(high !== undefined ? { high } : {}), ...(female ? { female } : {}),
});

export const LABS = {
  hba1c: t('hba1c', '4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood', 'Hémoglobine glyquée (HbA1c)', '%', '%', 4.0, 6.0, 1),
  glucoseFasting: t('glucoseFasting', '14771-0', 'Fasting glucose [Moles/volume] in Serum or Plasma', 'Glucose à jeun', 'mmol/L', 'mmol/L', 4.0, 6.0, 1),
  cholesterol: t('cholesterol', '14647-2', 'Cholesterol [Moles/volume] in Serum or Plasma', 'Cholestérol total', 'mmol/L', 'mmol/L', undefined, 5.2, 2),
  hdl: t('hdl', '14646-4', 'Cholesterol in HDL [Moles/volume] in Serum or Plasma', 'Cholestérol HDL', 'mmol/L', 'mmol/L', 1.0, undefined, 2, { low: 1.3 }),
  ldl: t('ldl', '39469-2', 'Cholesterol in LDL [Moles/volume] in Serum or Plasma by calculation', 'Cholestérol LDL (calculé)', 'mmol/L', 'mmol/L', undefined, 3.5, 2),
  triglycerides: t('triglycerides', '14927-8', 'Triglyceride [Moles/volume] in Serum or Plasma', 'Triglycérides', 'mmol/L', 'mmol/L', undefined, 1.7, 2),
  creatinine: t('creatinine', '14682-9', 'Creatinine [Moles/volume] in Serum or Plasma', 'Créatinine', 'umol/L', 'µmol/L', 60, 110, 0, { low: 45, high: 90 }),
  egfr: t('egfr', '62238-1', 'Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI)', 'DFGe (CKD-EPI)', 'mL/min/{1.73_m2}', 'mL/min/1,73 m²', 60, undefined, 0),
  potassium: t('potassium', '2823-3', 'Potassium [Moles/volume] in Serum or Plasma', 'Potassium', 'mmol/L', 'mmol/L', 3.5, 5.0, 1),
  sodium: t('sodium', '2951-2', 'Sodium [Moles/volume] in Serum or Plasma', 'Sodium', 'mmol/L', 'mmol/L', 135, 145, 0),
  acr: t('acr', '14958-3', 'Microalbumin/Creatinine [Mass/Moles] in Urine', 'Rapport albumine/créatinine urinaire', 'mg/mmol', 'mg/mmol', undefined, 2.0, 1),
  hemoglobin: t('hemoglobin', '718-7', 'Hemoglobin [Mass/volume] in Blood', 'Hémoglobine', 'g/L', 'g/L', 135, 175, 0, { low: 120, high: 160 }),
  wbc: t('wbc', '6690-2', 'Leukocytes [#/volume] in Blood by Automated count', 'Leucocytes', '10*9/L', '× 10⁹/L', 4.0, 11.0, 1),
  platelets: t('platelets', '777-3', 'Platelets [#/volume] in Blood by Automated count', 'Plaquettes', '10*9/L', '× 10⁹/L', 150, 400, 0),
  tsh: t('tsh', '3016-3', 'Thyrotropin [Units/volume] in Serum or Plasma', 'TSH', 'm[IU]/L', 'mUI/L', 0.35, 5.0, 2),
  inr: t('inr', '6301-6', 'INR in Platelet poor plasma by Coagulation assay', 'RNI (INR)', '{INR}', 'INR', 0.9, 1.2, 1),
  ntprobnp: t('ntprobnp', '33762-6', 'Natriuretic peptide.B prohormone N-Terminal [Mass/volume] in Serum or Plasma', 'NT-proBNP', 'ng/L', 'ng/L', undefined, 125, 0),
  ggt: t('ggt', '2324-2', 'Gamma glutamyl transferase [Enzymatic activity/volume] in Serum or Plasma', 'Gamma-GT', 'U/L', 'U/L', undefined, 55, 0, { high: 38 }),
  alt: t('alt', '1742-6', 'Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma', 'ALT', 'U/L', 'U/L', undefined, 40, 0),
} as const satisfies Record<string, LabTest>;

export type LabKey = keyof typeof LABS;

/** Qualitative tests of notifiable infections (nucleic-acid amplification). */
export const INFECTION_TESTS = {
  influenza: { loinc: '92142-9', display: 'Influenza virus A RNA [Presence] in Respiratory specimen by NAA with probe detection', fr: 'Influenza A – TAAN' },
  covid19: { loinc: '94500-6', display: 'SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection', fr: 'SRAS-CoV-2 – TAAN' },
  pertussis: { loinc: '23826-1', display: 'Bordetella pertussis DNA [Presence] in Specimen by NAA with probe detection', fr: 'Bordetella pertussis – TAAN' },
  chlamydia: { loinc: '21613-5', display: 'Chlamydia trachomatis DNA [Presence] in Specimen by NAA with probe detection', fr: 'Chlamydia trachomatis – TAAN' },
} as const;

export interface VitalSign {
  readonly loinc: string;
  readonly display: string;
  readonly unit: string;
  readonly unitDisplay: string;
}

export const VITALS = {
  bpPanel: { loinc: '85354-9', display: 'Blood pressure panel with all children optional', unit: '', unitDisplay: '' },
  systolic: { loinc: '8480-6', display: 'Systolic blood pressure', unit: 'mm[Hg]', unitDisplay: 'mmHg' },
  diastolic: { loinc: '8462-4', display: 'Diastolic blood pressure', unit: 'mm[Hg]', unitDisplay: 'mmHg' },
  heartRate: { loinc: '8867-4', display: 'Heart rate', unit: '/min', unitDisplay: '/min' },
  weight: { loinc: '29463-7', display: 'Body weight', unit: 'kg', unitDisplay: 'kg' },
  height: { loinc: '8302-2', display: 'Body height', unit: 'cm', unitDisplay: 'cm' },
  bmi: { loinc: '39156-5', display: 'Body mass index (BMI) [Ratio]', unit: 'kg/m2', unitDisplay: 'kg/m²' },
  temperature: { loinc: '8310-5', display: 'Body temperature', unit: 'Cel', unitDisplay: '°C' },
  spo2: { loinc: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry', unit: '%', unitDisplay: '%' },
} as const satisfies Record<string, VitalSign>;

/** Questionnaire scores (LOINC panels' total scores). */
export const SCORES = {
  phq9: { loinc: '44261-6', display: 'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]' },
  gad7: { loinc: '70274-6', display: 'Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]' },
} as const;

/** LOINC document and report types. */
export const DOCUMENT_TYPES = {
  dischargeSummary: { loinc: '18842-5', display: 'Discharge summary' },
  consultNote: { loinc: '11488-4', display: 'Consult note' },
  imaging: { loinc: '18748-4', display: 'Diagnostic imaging study' },
  chestXray: { loinc: '36643-5', display: 'XR Chest 2 Views' },
  chestCt: { loinc: '24627-2', display: 'CT Chest' },
  mammography: { loinc: '24606-6', display: 'MG Breast Screening' },
} as const;
