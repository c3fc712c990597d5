/**
 * Vaccines (facts: CVX codes) and the Québec schedule they follow.
 *
 * Sources: CDC's CVX code set (Vaccine Administered, cdc.gov/vaccines/programs/iis); the schedule follows
 * the Protocole d'immunisation du Québec (PIQ, MSSS) in broad strokes: hexavalent DCaT-HB-VPI-Hib at 2, 4
 * and 12 months with pneumococcal conjugate, rotavirus at 2 and 4 months, MMR at 12 months and MMRV at 18
 * months, dcaT-VPI at 4–6 years, HPV and hepatitis B in grade 4, dcaT in secondary 3; seasonal influenza
 * and COVID-19 for adults, more often for people 60 and over and those with chronic conditions.
 */

export interface Vaccine {
  readonly cvx: string;
  readonly display: string;
  /** The French name Québec uses. */
  readonly fr: string;
}

export const VACCINES = {
  hexavalent: { cvx: '146', display: 'DTaP,IPV,Hib,HepB', fr: 'DCaT-HB-VPI-Hib' },
  pneumoConjugate: { cvx: '133', display: 'Pneumococcal conjugate PCV 13', fr: 'Pneu-C-13' },
  rotavirus: { cvx: '119', display: 'rotavirus, monovalent', fr: 'Rotavirus' },
  mmr: { cvx: '03', display: 'MMR', fr: 'RRO' },
  mmrv: { cvx: '94', display: 'MMRV', fr: 'RRO-Var' },
  dtapIpv: { cvx: '130', display: 'DTaP-IPV', fr: 'dcaT-VPI' },
  hpv: { cvx: '165', display: 'HPV9', fr: 'VPH-9' },
  hepB: { cvx: '08', display: 'Hep B, adolescent or pediatric', fr: 'HB' },
  tdap: { cvx: '115', display: 'Tdap', fr: 'dcaT' },
  influenza: { cvx: '150', display: 'Influenza, injectable, quadrivalent, preservative free', fr: 'Influenza (quadrivalent)' },
  influenzaHighDose: { cvx: '197', display: 'influenza, high-dose, quadrivalent', fr: 'Influenza haute dose' },
  covidPfizer: { cvx: '208', display: 'COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose', fr: 'COVID-19 ARNm (Pfizer-BioNTech)' },
  covidModerna: { cvx: '207', display: 'COVID-19, mRNA, LNP-S, PF, 100 mcg/0.5mL dose or 50 mcg/0.25mL dose', fr: 'COVID-19 ARNm (Moderna)' },
  covidUnspecified: { cvx: '213', display: 'SARS-COV-2 (COVID-19) vaccine, UNSPECIFIED FORMULATION', fr: 'COVID-19 (formulation mise à jour)' },
  zoster: { cvx: '187', display: 'zoster recombinant', fr: 'Zona (recombinant)' },
} as const satisfies Record<string, Vaccine>;

export type VaccineKey = keyof typeof VACCINES;

/** Childhood doses: [vaccine, age in days at the dose]. */
export const CHILDHOOD_SCHEDULE: readonly (readonly [VaccineKey, number])[] = [
  ['hexavalent', 61], ['pneumoConjugate', 61], ['rotavirus', 61],
  ['hexavalent', 122], ['pneumoConjugate', 122], ['rotavirus', 122],
  ['hexavalent', 365], ['pneumoConjugate', 365], ['mmr', 365],
  ['mmrv', 548],
  ['dtapIpv', 4 * 365 + 30],
  ['hpv', 9 * 365 + 200], ['hepB', 9 * 365 + 200],
  ['tdap', 14 * 365 + 200],
];
