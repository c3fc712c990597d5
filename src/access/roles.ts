/**
 * Roles and what each may do by resource type (pure data). Scopes narrow this further, consents narrow
 * professionals' reads; nothing widens it.
 */
export const ROLES = ['patient', 'proxy', 'physician', 'nurse', 'pharmacist', 'researcher', 'admin', 'privacy-officer', 'system'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** How a role reaches patient data. */
export type RoleClass = 'own-record' | 'professional' | 'system' | 'no-patient-data';

export function roleClass(role: Role): RoleClass {
  switch (role) {
    case 'patient':
    case 'proxy':
      return 'own-record';
    case 'physician':
    case 'nurse':
    case 'pharmacist':
      return 'professional';
    case 'system':
      return 'system';
    default:
      return 'no-patient-data';
  }
}

/**
 * Directory and definitional resources: they belong to no patient and hold no health data, so every
 * authenticated role whose scopes allow the type may read them. Other resources outside any patient
 * compartment (Binary, Group, List, Bundle, …) may hold health data: only the organisation that wrote
 * them and platform clients see them.
 */
export const DIRECTORY_TYPES: readonly string[] = [
  'Organization', 'OrganizationAffiliation', 'Practitioner', 'PractitionerRole', 'Location', 'HealthcareService', 'Endpoint',
  'Medication', 'MedicationKnowledge', 'Substance', 'SubstanceSpecification', 'BiologicallyDerivedProduct',
  'ValueSet', 'CodeSystem', 'ConceptMap', 'NamingSystem', 'StructureDefinition', 'StructureMap', 'SearchParameter',
  'OperationDefinition', 'CapabilityStatement', 'CompartmentDefinition', 'ImplementationGuide', 'TerminologyCapabilities',
  'Questionnaire', 'PlanDefinition', 'ActivityDefinition', 'Library', 'Measure', 'ObservationDefinition',
  'SpecimenDefinition', 'ChargeItemDefinition', 'EventDefinition', 'ResearchDefinition', 'ResearchElementDefinition',
  'DeviceDefinition', 'InsurancePlan', 'Schedule', 'Slot',
];
const DIRECTORY = new Set(DIRECTORY_TYPES);

export function isDirectoryType(type: string): boolean {
  return DIRECTORY.has(type);
}

/** What a pharmacist needs for pharmacy practice (DSQ-style): medications, allergies, results, problems. */
export const PHARMACY_TYPES: readonly string[] = [
  'Patient', 'Medication', 'MedicationRequest', 'MedicationDispense', 'MedicationStatement', 'MedicationAdministration',
  'MedicationKnowledge', 'AllergyIntolerance', 'Immunization', 'Condition', 'Observation', 'DiagnosticReport',
  'Coverage', 'Consent',
];

/**
 * A Subscription is a standing search: a professional role that may search part of the record may keep
 * its own (a pharmacy learns of new prescriptions). What it may subscribe to is what it may search —
 * checked when the Subscription is written (src/subscriptions/hook.ts) — and it runs with its owner's
 * access. A Subscription belongs to no patient: only its writer's organisation sees it.
 */
const SUBSCRIBER_TYPES: readonly string[] = ['Subscription'];

/** Resource types a person may write into their own record (through a patient app). */
export const PATIENT_WRITABLE_TYPES: readonly string[] = ['Consent', 'QuestionnaireResponse', 'Observation'];

/** Types each role may read and write; `*` is every type. Systems are bounded by their registration's scopes. */
interface RoleTypes {
  readonly read: readonly string[] | '*';
  readonly write: readonly string[] | '*';
}

export function roleTypes(role: Role): RoleTypes {
  switch (role) {
    case 'patient':
    case 'proxy':
      return { read: '*', write: PATIENT_WRITABLE_TYPES };
    case 'physician':
    case 'nurse':
    case 'system':
      return { read: '*', write: '*' };
    case 'pharmacist':
      return {
        read: [...PHARMACY_TYPES, ...DIRECTORY_TYPES, ...SUBSCRIBER_TYPES],
        write: ['MedicationDispense', 'MedicationStatement', 'MedicationAdministration', 'Immunization', 'Observation', 'AllergyIntolerance', 'Communication', ...SUBSCRIBER_TYPES],
      };
    case 'privacy-officer':
      return { read: [...DIRECTORY_TYPES, 'Consent'], write: ['Consent'] };
    case 'admin':
      return { read: DIRECTORY_TYPES, write: DIRECTORY_TYPES };
    case 'researcher':
      return { read: DIRECTORY_TYPES, write: [] };
  }
}

export function roleAllows(role: Role, type: string, write: boolean): boolean {
  const types = write ? roleTypes(role).write : roleTypes(role).read;
  return types === '*' || types.includes(type);
}

/** Roles that must present a second factor (TOTP) at login. */
export function requiresSecondFactor(role: Role): boolean {
  return role === 'physician' || role === 'nurse' || role === 'pharmacist' || role === 'admin' || role === 'privacy-officer';
}

/** Roles that may break the glass in an emergency. */
export function mayBreakGlass(role: Role): boolean {
  return roleClass(role) === 'professional';
}
