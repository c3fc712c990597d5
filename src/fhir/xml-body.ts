/**
 * An XML request body (a C-CDA document). Only the operations that read XML accept one (`$import-ccda`);
 * on every other route it is answered 415 like any media type Carnet does not speak. FHIR's own XML
 * (`application/fhir+xml`) is not among these types: Carnet speaks FHIR in JSON.
 */
export const XML_TYPES = ['application/xml', 'text/xml', 'application/cda+xml', 'application/hl7-cda+xml'];

export class XmlBody {
  constructor(readonly bytes: Buffer, readonly text: string) {}
}

/** The paths that take an XML body. */
export function takesXml(path: string): boolean {
  return /(^|\/)\$import-ccda$/.test(path);
}
