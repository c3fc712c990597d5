import type { Bundle, Composition, Identifier, Resource } from '@medplum/fhirtypes';
import { convertCcdaToFhir, convertXmlToCcda, mapCcdaToFhirDateTime } from '@medplum/ccda';
import { XMLValidator } from 'fast-xml-parser';
import { RFC3986 } from '../../fhir/code-systems.js';
import { validationIssues } from '../../fhir/validation.js';
import { DocumentProblem } from '../ingest/document.js';

/**
 * C-CDA R2.1 → a FHIR document Bundle, best effort (pure). `@medplum/ccda` converts a whole document or
 * throws on the first template it does not handle — the complaint users of other converters have (one
 * unknown template throws the whole document away). Carnet converts what it can: when the whole
 * document fails, each section is tried alone, and in a failing section each entry alone; what still
 * fails is left out and named in a warning (the section's title, the entry's template), the rest is kept.
 * The header (patient, authors, participants) must convert, or the document is refused.
 */
export const CDA_CONTENT_TYPE = 'text/xml';
/**
 * The C-CDA document templates: the US Realm Header (…22.1.1) and the document types derived from it
 * (CCD …22.1.2, discharge summary …22.1.8, care plan …22.1.15…); some senders declare only the latter.
 */
const CCDA_DOCUMENT = /^2\.16\.840\.1\.113883\.10\.20\.22\.1\.\d+$/;

type Json = Record<string, unknown>;
type Ccda = ReturnType<typeof convertXmlToCcda>;

export interface CcdaConversion {
  readonly bundle: Bundle;
  /** ClinicalDocument.code (its LOINC document type), when it has one. */
  readonly documentType?: string;
  readonly warnings: readonly string[];
}

const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : value && typeof value === 'object' ? [value as Json] : []);
const templates = (node: unknown): string[] => list((node as Json | undefined)?.templateId).map((t) => String(t['@_root'] ?? ''));
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Parses and checks the XML: well-formed, a ClinicalDocument of the US Realm Header (C-CDA). */
export function parseCcda(xml: string): Ccda {
  if (xml.trim() === '') throw new DocumentProblem('the body is empty: a C-CDA document is expected');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new DocumentProblem(`malformed XML at line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`);
  const ccda = convertXmlToCcda(xml) as Ccda | undefined;
  if (!ccda || typeof ccda !== 'object') throw new DocumentProblem('this XML is not a CDA document (its root is not ClinicalDocument)');
  if (!templates(ccda).some((t) => CCDA_DOCUMENT.test(t))) {
    throw new DocumentProblem('this ClinicalDocument is not C-CDA: it declares no C-CDA document template (2.16.840.1.113883.10.20.22.1.*)');
  }
  // The parser makes arrays of the repeatable elements it knows; the header's participants are iterated
  // by the converter but not in its list, so one participant arrives as an object.
  const header = ccda as unknown as Json;
  if (header.participant && !Array.isArray(header.participant)) header.participant = [header.participant];
  return ccda;
}

function sections(ccda: Ccda): Json[] {
  return list(((ccda as unknown as Json).component as Json | undefined)?.structuredBody && (((ccda as unknown as Json).component as Json).structuredBody as Json).component);
}

function withSections(ccda: Ccda, kept: Json[]): Ccda {
  const copy = structuredClone(ccda) as unknown as Json;
  ((copy.component as Json).structuredBody as Json).component = kept;
  return copy as unknown as Ccda;
}

const titleOf = (component: Json): string => {
  const section = list(component.section)[0];
  const title = section?.title;
  return typeof title === 'string' ? title : typeof (title as Json | undefined)?.['#text'] === 'string' ? String((title as Json)['#text']) : templates(section)[0] ?? 'untitled';
};

function converts(ccda: Ccda): boolean {
  try {
    convertCcdaToFhir(ccda);
    return true;
  } catch {
    return false;
  }
}

/** A section, keeping the entries that convert on their own; undefined when even its empty shell fails. */
function salvage(ccda: Ccda, component: Json, warnings: string[]): Json | undefined {
  const section = list(component.section)[0] as Json;
  const entries = list(section.entry);
  const shell = { ...component, section: [{ ...section, entry: [] }] };
  if (!converts(withSections(ccda, [shell]))) {
    warnings.push(`section "${titleOf(component)}" could not be converted and was left out`);
    return undefined;
  }
  const kept = entries.filter((entry) => {
    try {
      convertCcdaToFhir(withSections(ccda, [{ ...component, section: [{ ...section, entry: [entry] }] }]));
      return true;
    } catch (error) {
      const act = Object.values(entry).find((v) => v && typeof v === 'object') as Json | undefined;
      warnings.push(`section "${titleOf(component)}": an entry (template ${templates(list(act)[0]).join(', ') || 'unknown'}) could not be converted and was left out: ${messageOf(error)}`);
      return false;
    }
  });
  return { ...component, section: [{ ...section, entry: kept }] };
}

/** The document as FHIR, with its identity: Bundle.identifier from ClinicalDocument.id, timestamp from effectiveTime. */
export function convertCcda(xml: string): CcdaConversion {
  const ccda = parseCcda(xml);
  const warnings: string[] = [];
  let bundle: Bundle;
  try {
    bundle = convertCcdaToFhir(ccda);
  } catch (whole) {
    if (!converts(withSections(ccda, []))) throw new DocumentProblem(`the C-CDA header (patient, authors, participants) could not be converted: ${messageOf(whole)}`);
    const kept = sections(ccda).flatMap((component) => (converts(withSections(ccda, [component])) ? [component] : [salvage(ccda, component, warnings)].filter((c): c is Json => c !== undefined)));
    bundle = convertCcdaToFhir(withSections(ccda, kept));
  }
  const header = ccda as unknown as Json;
  const id = list(header.id)[0];
  if (!id?.['@_root']) throw new DocumentProblem('the ClinicalDocument has no id: Carnet recognises a document sent again by its id', ['ClinicalDocument.id']);
  const identifier: Identifier = id['@_extension']
    ? { system: `urn:oid:${String(id['@_root'])}`, value: String(id['@_extension']) }
    : { system: RFC3986, value: `urn:oid:${String(id['@_root'])}` };
  const effective = list(header.effectiveTime)[0]?.['@_value'];
  const timestamp = mapCcdaToFhirDateTime(typeof effective === 'string' ? effective : undefined);
  if (!timestamp) throw new DocumentProblem('the ClinicalDocument has no effectiveTime', ['ClinicalDocument.effectiveTime']);
  // The converter leaves Composition.subject out; the document is about its recordTarget, the Patient.
  const patient = bundle.entry?.find((e) => e.resource?.resourceType === 'Patient')?.resource;
  const composition = bundle.entry?.[0]?.resource as Composition | undefined;
  if (composition?.resourceType === 'Composition' && patient?.id && !composition.subject) composition.subject = { reference: `Patient/${patient.id}` };
  const pruned = prune({ ...bundle, identifier, timestamp: dateTime(timestamp) }) as Bundle;
  const code = (header.code as Json | undefined)?.['@_code'];
  return { bundle: keepValid(pruned, warnings), warnings, ...(typeof code === 'string' ? { documentType: code } : {}) };
}

/** Mistakes of the converter that have one right reading: repaired rather than lost. */
function repair(resource: Resource): Resource {
  if (resource.resourceType !== 'Practitioner') return resource;
  // Practitioner.qualification is written as the CodeableConcept itself instead of { code }.
  const qualification = (resource as unknown as Json).qualification;
  if (Array.isArray(qualification)) {
    (resource as unknown as Json).qualification = qualification.map((q: Json) => (q.code === undefined && (q.coding || q.text) ? { code: q } : q));
  }
  return resource;
}

/**
 * The converted resources R4 accepts. One the converter got wrong (a required element missing, a value
 * outside a required value set) is left out with a warning instead of refusing the document, and the
 * Composition's sections stop listing it; a Patient or Composition R4 refuses refuses the document.
 */
function keepValid(bundle: Bundle, warnings: string[]): Bundle {
  const dropped = new Set<string>();
  const entries = (bundle.entry ?? []).filter((entry, index) => {
    const resource = repair(entry.resource as Resource);
    const problems = validationIssues(resource).filter((i) => i.severity === 'error' || i.severity === 'fatal');
    if (problems.length === 0) return true;
    const first = problems[0];
    const what = `${first?.details?.text ?? first?.diagnostics ?? 'invalid'} (${(first?.expression ?? []).join(', ').replace(/^[A-Za-z]+\./, '')})`;
    if (index === 0 || resource.resourceType === 'Patient') throw new DocumentProblem(`the converted ${resource.resourceType} is not valid R4: ${what}`);
    warnings.push(`a converted ${resource.resourceType} is not valid R4 and was left out: ${what}`);
    dropped.add(`${resource.resourceType}/${resource.id}`);
    return false;
  });
  const composition = entries[0]?.resource as Composition;
  for (const section of composition.section ?? []) {
    if (section.entry) section.entry = section.entry.filter((e) => !dropped.has(e.reference ?? ''));
    if (section.entry?.length === 0) delete section.entry;
  }
  return { ...bundle, entry: entries };
}

/** Without the empty arrays, objects and strings the converter leaves where it had nothing (R4 forbids them). */
export function prune(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(prune).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      const p = prune(v);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) return dateTime(value);
  return value === '' || value === null ? undefined : value;
}

const BROKEN_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(?::(\d{2})?)?(\.\d+)?(?:(Z)|([+-]\d{2}):?(\d{2}))?$/;

/**
 * A dateTime as R4 writes it. The converter renders CDA times of minute precision with an offset as
 * `2013-09-21T05:00:-0800` (no seconds, an offset without its colon), which no R4 parser accepts.
 */
export function dateTime(value: string): string {
  const m = BROKEN_TIME.exec(value);
  if (!m) return value;
  const zone = m[4] ?? (m[5] ? `${m[5]}:${m[6]}` : 'Z');
  return `${m[1]}:${m[2] ?? '00'}${m[3] ?? ''}${zone}`;
}
