/**
 * SNOMED CT codes of care settings (facts): specialties, kinds of encounter, reasons for an emergency
 * visit and result qualifiers. Source: SNOMED CT International Edition (SNOMED International), concept ids
 * with their preferred terms; the French names are the usual Québec terms.
 */

export type Coded = readonly [code: string, display: string, fr: string];

export const SPECIALTY_CODES = {
  family: ['419772000', 'Family practice', 'Médecine de famille'],
  internal: ['419192003', 'Internal medicine', 'Médecine interne'],
  cardiology: ['394579002', 'Cardiology', 'Cardiologie'],
  pulmonology: ['418112009', 'Pulmonary medicine', 'Pneumologie'],
  nephrology: ['394589003', 'Nephrology', 'Néphrologie'],
  psychiatry: ['394587001', 'Psychiatry', 'Psychiatrie'],
  endocrinology: ['394583002', 'Endocrinology', 'Endocrinologie'],
  emergency: ['773568002', 'Emergency medicine', 'Médecine d’urgence'],
  radiology: ['394914008', 'Radiology', 'Radiologie'],
  // No SNOMED CT specialty concept for addiction medicine is used: general medicine, named in French.
  addiction: ['394802001', 'General medicine', 'Médecine des toxicomanies'],
  nursePractitioner: ['419772000', 'Family practice', 'Infirmière praticienne spécialisée en soins de première ligne'],
} as const satisfies Record<string, Coded>;

export const ENCOUNTER_TYPES = {
  followUp: ['185389009', 'Follow-up visit', 'Visite de suivi'],
  problem: ['185347001', 'Encounter for problem', 'Consultation sans rendez-vous'],
  consultation: ['11429006', 'Consultation', 'Consultation'],
  emergency: ['50849002', 'Emergency room admission', 'Visite à l’urgence'],
  admission: ['32485007', 'Hospital admission', 'Hospitalisation'],
} as const satisfies Record<string, Coded>;

export const EMERGENCY_REASONS: readonly Coded[] = [
  ['29857009', 'Chest pain', 'Douleur thoracique'],
  ['267036007', 'Dyspnea', 'Dyspnée'],
  ['21522001', 'Abdominal pain', 'Douleur abdominale'],
  ['1912002', 'Fall', 'Chute'],
];

export const QUALIFIERS = {
  normal: ['17621005', 'Normal', 'Normal'],
  detected: ['260373001', 'Detected', 'Détecté'],
  notDetected: ['260415000', 'Not detected', 'Non détecté'],
} as const satisfies Record<string, Coded>;
