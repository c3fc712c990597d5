/**
 * Code systems and identifier systems used by the generated population.
 *
 * Standard systems are written exactly as their publishers define them. Identifier systems of the
 * synthetic source systems (each clinic's, pharmacy's, hospital's and lab's record numbers), of licences
 * and of the demo's own extensions sit under one placeholder namespace, `DEMO_BASE`, which names no real
 * registry: the numbers in them are synthetic.
 */

export const SNOMED = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
/** ICD-10-CA, Canada's modification of ICD-10 (CIHI), as named by Canada Health Infoway's terminology server. */
export const ICD10CA = 'https://fhir.infoway-inforoute.ca/CodeSystem/icd10ca';
export const ATC = 'http://www.whocc.no/atc';
export const CVX = 'http://hl7.org/fhir/sid/cvx';
export const BCP47 = 'urn:ietf:bcp:47';

export const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const V2_0074 = 'http://terminology.hl7.org/CodeSystem/v2-0074';
export const V2_0360 = 'http://terminology.hl7.org/CodeSystem/v2-0360|2.7';
export const V3_ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const V3_OBS_INTERP = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
export const V3_MARITAL = 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus';
export const V3_ROLE_CODE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
export const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
export const CONDITION_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
export const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
export const ALLERGY_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
export const ALLERGY_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';
export const ORGANIZATION_TYPE = 'http://terminology.hl7.org/CodeSystem/organization-type';
export const PRACTITIONER_ROLE = 'http://terminology.hl7.org/CodeSystem/practitioner-role';
export const MED_REQUEST_CATEGORY = 'http://terminology.hl7.org/CodeSystem/medicationrequest-category';
export const GENDER_IDENTITY = 'http://terminology.hl7.org/CodeSystem/gender-identity';
export const GENDER_IDENTITY_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/patient-genderIdentity';
export const DISCHARGE_DISPOSITION = 'http://terminology.hl7.org/CodeSystem/discharge-disposition';

/** Québec health-insurance number (NAM), as registered by Canada Health Infoway (CA Baseline). */
export { NAM_SYSTEM } from '../fhir/naming/systems.js';

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
