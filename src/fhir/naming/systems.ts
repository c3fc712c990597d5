/** Identifier systems Carnet knows by name, shared by the generator, the MPI and the gateway. */

/** The Québec health insurance number (NAM), as Canada Health Infoway's naming system names it. */
export const NAM_SYSTEM = 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-qc-patient-healthcare-id';
