/**
 * Code systems and identifier systems used by the generated population.
 *
 * Standard systems are written exactly as their publishers define them. Identifier systems of the
 * synthetic source systems (each clinic's, pharmacy's, hospital's and lab's record numbers), of licences
 * and of the demo's own extensions sit under one placeholder namespace, `DEMO_BASE`, which names no real
 * registry: the numbers in them are synthetic.
 */

/** The standard systems the generator uses live with every other system URI in fhir/code-systems.ts. */
export {
  SNOMED,
  LOINC,
  UCUM,
  ICD10CA,
  ATC,
  CVX,
  BCP47,
  V2_0203,
  V2_0074,
  V2_0360,
  V3_ACT_CODE,
  V3_OBS_INTERP,
  V3_MARITAL,
  V3_ROLE_CODE,
  OBS_CATEGORY,
  CONDITION_CLINICAL,
  CONDITION_VERIFICATION,
  CONDITION_CATEGORY,
  ALLERGY_CLINICAL,
  ALLERGY_VERIFICATION,
  ORGANIZATION_TYPE,
  PRACTITIONER_ROLE,
  MED_REQUEST_CATEGORY,
  GENDER_IDENTITY,
  DISCHARGE_DISPOSITION,
  NAM_SYSTEM,
} from '../fhir/code-systems.js';
export const GENDER_IDENTITY_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/patient-genderIdentity';

/** Placeholder namespace of the demo's own identifier systems and extensions (not a real registry). */
export const DEMO_BASE = 'https://carnet.example/fhir';
export const SID = `${DEMO_BASE}/sid`;

/** Each source organisation numbers its own patients: one identifier system per organisation. */
export function mrnSystem(organizationCode: string): string {
  return `${SID}/mrn/${organizationCode.toLowerCase()}`;
}
export const ORGANIZATION_SYSTEM = `${SID}/organization`;
export const SCHEDULE_SYSTEM = `${SID}/schedule`;
/** Licence numbers by professional order (synthetic numbers). */
export const LICENCE_SYSTEMS = {
  physician: `${SID}/licence/cmq`,
  pharmacist: `${SID}/licence/opq`,
  nurse: `${SID}/licence/oiiq`,
} as const;
export const LICENCE_ASSIGNERS = {
  physician: 'Collège des médecins du Québec',
  pharmacist: 'Ordre des pharmaciens du Québec',
  nurse: 'Ordre des infirmières et infirmiers du Québec',
} as const;

/** The RSS (région sociosanitaire, MSSS) of an address: an extension on Address. */
export const RSS_EXTENSION = `${DEMO_BASE}/StructureDefinition/rss`;
export const RSS_SYSTEM = `${DEMO_BASE}/CodeSystem/rss`;

/** Tag on every generated resource: synthetic data, never a real person. */
export const SYNTHETIC_TAG = { system: `${DEMO_BASE}/CodeSystem/data-origin`, code: 'synthetic', display: 'Synthetic data (Carnet generator)' } as const;
