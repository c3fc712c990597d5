import type { Attachment } from '@medplum/fhirtypes';
import type { Hl7Location } from '../message/problems.js';

/**
 * A CDA document carried in an OBX-5 ED value (MDM^T02, ORU^R01): recognised by its media type and by its
 * root element, so that it is imported as structured data (the C-CDA → FHIR path of `$import-ccda`) instead of
 * being kept as an opaque attachment. Pure.
 */
const XML_TYPES = new Set([
  'text/xml', 'application/xml', 'application/cda+xml', 'application/hl7-cda+xml',
  'application/x-hl7-cda-level-one+xml', 'text/x-hl7-cda-level-one+xml', 'multipart/x-hl7-cda-level-one',
]);

/** A CDA to import: its XML, the bytes as sent (kept as the document's Binary) and where it was in the message. */
export interface CarriedDocument {
  readonly xml: string;
  readonly bytes: Buffer;
  readonly source: Hl7Location;
}

/** The CDA an attachment holds, or undefined when it is anything else (a PDF, plain text, XML that is not CDA). */
export function cdaOf(attachment: Attachment, source: Hl7Location): CarriedDocument | undefined {
  const type = (attachment.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!XML_TYPES.has(type) || !attachment.data) return undefined;
  const bytes = Buffer.from(attachment.data, 'base64');
  const xml = bytes.toString('utf8').replace(/^\uFEFF/, '');
  // The root element, after the XML declaration, comments and processing instructions.
  const root = /^\s*(?:<\?[\s\S]*?\?>\s*|<!--[\s\S]*?-->\s*)*<(?:[\w.-]+:)?([\w.-]+)/.exec(xml);
  return root?.[1] === 'ClinicalDocument' ? { xml, bytes, source } : undefined;
}
