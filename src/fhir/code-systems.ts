/**
 * Every code system and identifier system URI Carnet writes or recognises, in one place (a leaf: no
 * imports). Standard systems are spelt exactly as their publishers define them; Carnet's own systems are
 * `urn:carnet:*`. Source files import these constants instead of repeating the literals
 * (test/unit/code-systems.test.ts fails on a literal elsewhere under src/).
 */

// Clinical terminologies
export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const SNOMED = 'http://snomed.info/sct';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const UMLS = 'http://www.nlm.nih.gov/research/umls';
export const ATC = 'http://www.whocc.no/atc';
export const CPT = 'http://www.ama-assn.org/go/cpt';
export const CVX = 'http://hl7.org/fhir/sid/cvx';
export const MVX = 'http://hl7.org/fhir/sid/mvx';
export const NDC = 'http://hl7.org/fhir/sid/ndc';
export const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
export const ICD10CA_SID = 'http://hl7.org/fhir/sid/icd-10-ca';
/** ICD-10-CA, Canada's modification of ICD-10 (CIHI), as named by Canada Health Infoway's terminology server. */
export const ICD10CA = 'https://fhir.infoway-inforoute.ca/CodeSystem/icd10ca';
export const ICD10PCS = 'http://www.icd10data.com/icd10pcs';
export const ICD9CM = 'http://hl7.org/fhir/sid/icd-9-cm';
/** ICD-9-CM and ICD-10-CM as OIDs (some senders use them). */
export const ICD9CM_OID = 'urn:oid:2.16.840.1.113883.6.3';
export const ICD10CM_OID = 'urn:oid:2.16.840.1.113883.6.90';
export const CDC_RACE_ETHNICITY = 'urn:oid:2.16.840.1.113883.6.238';
export const NCI_THESAURUS = 'http://ncithesaurus-stage.nci.nih.gov';
export const DICOM_DCM = 'http://dicom.nema.org/resources/ontology/DCM';
/** Health Canada's Drug Identification Number and Natural Product Number. */
export const HC_DIN = 'http://hl7.org/fhir/NamingSystem/ca-hc-din';
export const HC_NPN = 'http://hl7.org/fhir/NamingSystem/ca-hc-npn';

// Other standards
export const BCP47 = 'urn:ietf:bcp:47';
export const RFC3986 = 'urn:ietf:rfc:3986';
export const ISO4217 = 'urn:iso:std:iso:4217';
export const ISO3166 = 'urn:iso:std:iso:3166';

// FHIR and HL7 terminology
export const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
/** Prefix of the HL7 v2 tables as FHIR code systems: `${V2_TABLE_BASE}0203` is table 0203. */
export const V2_TABLE_BASE = 'http://terminology.hl7.org/CodeSystem/v2-';
export const V2_0003 = 'http://terminology.hl7.org/CodeSystem/v2-0003';
export const V2_0074 = 'http://terminology.hl7.org/CodeSystem/v2-0074';
export const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const V2_0270 = 'http://terminology.hl7.org/CodeSystem/v2-0270';
export const V2_0360 = 'http://terminology.hl7.org/CodeSystem/v2-0360|2.7';
export const V2_0443 = 'http://terminology.hl7.org/CodeSystem/v2-0443';
export const V3_ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const V3_ACT_CLASS = 'http://terminology.hl7.org/CodeSystem/v3-ActClass';
export const V3_ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
export const V3_CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
export const V3_MARITAL = 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus';
export const V3_NULL_FLAVOR = 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor';
export const V3_OBS_INTERP = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
export const V3_OBSERVATION_VALUE = 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue';
export const V3_PARTICIPATION_TYPE = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
export const V3_ROLE_CODE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
export const ADMIT_SOURCE = 'http://terminology.hl7.org/CodeSystem/admit-source';
export const ALLERGY_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
export const ALLERGY_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';
export const APPOINTMENT_CANCELLATION_REASON = 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason';
export const AUDIT_ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
export const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
export const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
export const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
export const CONDITION_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
export const CONSENT_SCOPE = 'http://terminology.hl7.org/CodeSystem/consentscope';
export const DISCHARGE_DISPOSITION = 'http://terminology.hl7.org/CodeSystem/discharge-disposition';
export const GENDER_IDENTITY = 'http://terminology.hl7.org/CodeSystem/gender-identity';
export const LIST_EMPTY_REASON = 'http://terminology.hl7.org/CodeSystem/list-empty-reason';
export const MED_REQUEST_CATEGORY = 'http://terminology.hl7.org/CodeSystem/medicationrequest-category';
export const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
export const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const ORGANIZATION_TYPE = 'http://terminology.hl7.org/CodeSystem/organization-type';
export const PRACTITIONER_ROLE = 'http://terminology.hl7.org/CodeSystem/practitioner-role';
export const PROVENANCE_PARTICIPANT_TYPE = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type';
export const RESTFUL_SECURITY_SERVICE = 'http://terminology.hl7.org/CodeSystem/restful-security-service';
export const SECURITY_SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';

// Identifier systems
/** The Québec health insurance number (NAM), as Canada Health Infoway's naming system names it. */
export const NAM_SYSTEM = 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-qc-patient-healthcare-id';

// Carnet's own systems
/** Stable error codes on OperationOutcome issues (docs/api.md). */
export const ERROR_CODE_SYSTEM = 'urn:carnet:error-code';
/** The enterprise person id the MPI assigns. */
export const ENTERPRISE_ID_SYSTEM = 'urn:carnet:sid:enterprise-person-id';
/** AuditEvent subtypes of Carnet's own events (login, consent change, break-the-glass, …). */
export const CARNET_AUDIT_EVENT = 'urn:carnet:audit-event';
/** Carnet's data-quality tags (`meta.tag`): `pdf-only`, a result that arrived as a PDF only (docs/documents.md). */
export const CARNET_DATA_QUALITY = 'urn:carnet:data-quality';
/** Audit agents: an account key, a role, an OAuth client id. */
export const CARNET_AGENT = 'urn:carnet:agent';
export const CARNET_ROLE = 'urn:carnet:role';
export const CARNET_CLIENT = 'urn:carnet:client';
/** Licence numbers of the demo accounts, by professional order. */
export const CARNET_LICENCE_CMQ = 'urn:carnet:licence:cmq';
export const CARNET_LICENCE_OIIQ = 'urn:carnet:licence:oiiq';
export const CARNET_LICENCE_OPQ = 'urn:carnet:licence:opq';
/** Base of the HL7 v2 gateway's URNs, scoped by sender: `${HL7V2_URN_BASE}:<sender>:cs:<name>`, `…:aa:…`. */
export const HL7V2_URN_BASE = 'urn:carnet:hl7v2';
/** The identifier system of HL7 v2 senders (ConceptMap.identifier, Provenance agents). */
export const HL7V2_SENDER_SYSTEM = 'urn:carnet:hl7v2:sender';
/** Extension of a de-identified Patient: the birth date generalised to a range of years (docs/research.md). */
export const CARNET_BIRTH_DATE_RANGE = 'urn:carnet:extension:birth-date-range';
