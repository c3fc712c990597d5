import { LOINC } from '../../fhir/code-systems.js';
/**
 * Molar masses of common laboratory analytes, by LOINC code, so that quantity search can compare mass
 * concentrations (mg/dL) with substance concentrations (mmol/L) of the same analyte.
 *
 * Molar masses (g/mol) are the standard values also behind the usual clinical conversion factors:
 * glucose C6H12O6 180.156 (1 mmol/L = 18.016 mg/dL); cholesterol C27H46O 386.654 (1 mmol/L = 38.67 mg/dL, used
 * for total, HDL and LDL cholesterol); triglycerides as triolein 885.7 (1 mmol/L = 88.57 mg/dL);
 * creatinine C4H7N3O 113.12 (1 µmol/L = 0.01131 mg/dL). LOINC codes from loinc.org (component, property
 * MCnc or SCnc).
 */

const MOLAR_MASS_BY_LOINC: Readonly<Record<string, number>> = {
  // Glucose
  '2345-7': 180.156, // Glucose [Mass/volume] in Serum or Plasma
  '2339-0': 180.156, // Glucose [Mass/volume] in Blood
  '41653-7': 180.156, // Glucose [Mass/volume] in Capillary blood by Glucometer
  '15074-8': 180.156, // Glucose [Moles/volume] in Blood
  '14749-6': 180.156, // Glucose [Moles/volume] in Serum or Plasma
  // Cholesterol
  '2093-3': 386.654, // Cholesterol [Mass/volume] in Serum or Plasma
  '14647-2': 386.654, // Cholesterol [Moles/volume] in Serum or Plasma
  '2085-9': 386.654, // Cholesterol in HDL [Mass/volume] in Serum or Plasma
  '14646-4': 386.654, // Cholesterol in HDL [Moles/volume] in Serum or Plasma
  '18262-6': 386.654, // Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay
  '13457-7': 386.654, // Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation
  // Triglycerides
  '2571-8': 885.7, // Triglyceride [Mass/volume] in Serum or Plasma
  '14927-8': 885.7, // Triglyceride [Moles/volume] in Serum or Plasma
  // Creatinine
  '2160-0': 113.12, // Creatinine [Mass/volume] in Serum or Plasma
  '38483-4': 113.12, // Creatinine [Mass/volume] in Blood
  '14682-9': 113.12, // Creatinine [Moles/volume] in Serum or Plasma
};

export function analyteMolarMass(codes: readonly { system?: string; code?: string }[]): number | undefined {
  for (const c of codes) {
    if (c.system === LOINC && c.code && MOLAR_MASS_BY_LOINC[c.code] !== undefined) return MOLAR_MASS_BY_LOINC[c.code];
  }
  return undefined;
}
