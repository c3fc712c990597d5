/** The canonical OperationDefinitions of FHIR Bulk Data Access 2.0 that Carnet implements. */
export const BULK_EXPORT = {
  system: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export',
  patient: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export',
  group: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export',
} as const;
