import type { Binary, Bundle, Composition, DocumentReference, Organization, Provenance, Reference, Resource } from '@medplum/fhirtypes';
import { PROVENANCE_PARTICIPANT_TYPE } from '../../fhir/code-systems.js';
import { nameUuid } from '../ips/references.js';
import { DocumentReferences, eachReference } from './references.js';

/**
 * What filing a received FHIR document (an IPS from another country, a discharge summary) into the
 * record writes (pure). The document is checked first — a Bundle of type `document` with its identifier,
 * timestamp, the Composition first, one Patient its subject, every reference of the Composition resolving
 * inside — and refused with a `DocumentProblem` naming the element otherwise. Then every entry becomes a
 * resource of Carnet with an id derived from the document's identifier and the entry's fullUrl, so the
 * same document filed twice writes the same resources (no duplicates) and a corrected version of it
 * (same identifier) updates them. The original is kept byte for byte as a Binary, described by a
 * DocumentReference, and one Provenance names everything filed with the document as its source.
 */
export const FHIR_JSON = 'application/fhir+json';

export class DocumentProblem extends Error {
  constructor(message: string, readonly expression: readonly string[] = []) {
    super(message);
  }
}

export interface DocumentPlan {
  /** `system|value` of Bundle.identifier: the document's identity. */
  readonly key: string;
  readonly patient: string;
  /** The original document as received (a Binary), first: its unchanged content means "filed already". */
  readonly binary: Binary & { id: string };
  /** The document's entries as Carnet resources (in its order), then the DocumentReference and the Provenance. */
  readonly resources: readonly (Resource & { id: string })[];
  readonly documentReference: string;
  /** References that pointed outside the document: kept as their display or identifier. */
  readonly warnings: readonly string[];
}

type Json = Record<string, unknown>;

function need(condition: unknown, message: string, expression: string): asserts condition {
  if (!condition) throw new DocumentProblem(message, [expression]);
}

function checkEnvelope(input: unknown): { bundle: Bundle; composition: Composition; key: string } {
  const bundle = input as Bundle;
  need(input && typeof input === 'object' && bundle.resourceType === 'Bundle', `a document is a Bundle, not ${String((input as Json | null)?.resourceType ?? typeof input)}`, 'Bundle');
  need(bundle.type === 'document', `Bundle.type is "${String(bundle.type)}": only a Bundle of type "document" is a document`, 'Bundle.type');
  need(bundle.identifier?.system && bundle.identifier.value, 'bdl-9: a document has an identifier with a system and a value (it is how Carnet recognises the same document sent again)', 'Bundle.identifier');
  need(typeof bundle.timestamp === 'string', 'bdl-10: a document has a timestamp', 'Bundle.timestamp');
  const entries = bundle.entry ?? [];
  need(Array.isArray(entries) && entries.length > 0, 'a document has entries, the Composition first', 'Bundle.entry');
  entries.forEach((e, i) => {
    need(e && typeof e.resource === 'object' && typeof e.resource?.resourceType === 'string', `Bundle.entry[${i}] holds no resource`, `Bundle.entry[${i}].resource`);
  });
  const composition = entries[0]?.resource as Composition;
  need(composition.resourceType === 'Composition', `bdl-11: the first entry of a document is its Composition (got ${composition.resourceType})`, 'Bundle.entry[0].resource');
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (!e.fullUrl) return;
    need(!seen.has(e.fullUrl), `bdl-7: Bundle.entry[${i}].fullUrl ${e.fullUrl} is not unique`, `Bundle.entry[${i}].fullUrl`);
    seen.add(e.fullUrl);
  });
  return { bundle, composition, key: `${bundle.identifier?.system}|${bundle.identifier?.value}` };
}

/**
 * The rules a stored document Bundle keeps (a plain `POST /Bundle` or `PUT Bundle/[id]` of type `document`):
 * the envelope of `$ingest` — bdl-7 unique fullUrls, bdl-9 identifier, bdl-10 timestamp, bdl-11 the
 * Composition first — and every `Composition.section.entry` an entry of the document. (Filing into a record,
 * `$ingest`, also needs one Patient as the subject; storing a document does not.)
 */
export function checkDocumentBundle(input: unknown): void {
  const { bundle, composition } = checkEnvelope(input);
  const entries = bundle.entry ?? [];
  const refs = new DocumentReferences(entries.map((e) => ({ fullUrl: e.fullUrl, resourceType: (e.resource as Resource).resourceType, id: (e.resource as Resource).id })));
  (composition.section ?? []).forEach((s, si) => (s.entry ?? []).forEach((e, ei) => {
    need(e.reference && refs.resolve(e.reference, 0) !== undefined, `Composition.section[${si}].entry[${ei}] (${e.reference ?? 'no reference'}) is not an entry of the document`, `Bundle.entry[0].resource.section[${si}].entry[${ei}]`);
  }));
  need(!composition.subject?.reference || composition.subject.reference.startsWith('#') || refs.resolve(composition.subject.reference, 0) !== undefined,
    `Composition.subject (${composition.subject?.reference}) is not an entry of the document`, 'Bundle.entry[0].resource.subject');
}

/** An instant (DocumentReference.date) from a date or dateTime that may lack its time or seconds. */
function instant(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return value;
  const ms = Date.parse(value.length === 4 ? `${value}-01-01` : value.length === 7 ? `${value}-01` : value);
  if (Number.isNaN(ms)) throw new DocumentProblem(`the document's date "${value}" is not a date`, ['Bundle.timestamp']);
  return new Date(ms).toISOString();
}

/** Plans the filing of a document (throws DocumentProblem when it is not one Carnet can file). */
export interface PlanOptions {
  readonly now: string;
  /** The document as received, when it was not this JSON (a C-CDA's XML). */
  readonly original?: { readonly contentType: string; readonly bytes: Buffer };
  /** Added to the identifier to tell documents apart whose senders reuse identifiers (the document type). */
  readonly identity?: string;
  readonly warnings?: readonly string[];
}

export function planDocument(input: unknown, options: PlanOptions): DocumentPlan {
  const envelope = checkEnvelope(input);
  const { bundle, composition } = envelope;
  const key = options.identity ? `${envelope.key}|${options.identity}` : envelope.key;
  const entries = bundle.entry ?? [];
  const resources = entries.map((e) => e.resource as Resource);
  const refs = new DocumentReferences(entries.map((e, i) => ({ fullUrl: e.fullUrl, resourceType: (resources[i] as Resource).resourceType, id: (resources[i] as Resource).id })));
  const ids = entries.map((e, i) => nameUuid(`document|${key}|${e.fullUrl ?? `entry-${i}`}`));
  const local = (i: number) => `${(resources[i] as Resource).resourceType}/${ids[i]}`;

  const patients = resources.flatMap((r, i) => (r.resourceType === 'Patient' ? [i] : []));
  need(patients.length === 1, `the document holds ${patients.length} Patient resources; Carnet files a document about one person, its Composition.subject`, 'Bundle.entry');
  const subject = composition.subject?.reference ? refs.resolve(composition.subject.reference, 0) : undefined;
  need(subject === patients[0], `Composition.subject (${composition.subject?.reference ?? 'none'}) is not the document's Patient entry`, 'Bundle.entry[0].resource.subject');
  (composition.section ?? []).forEach((s, si) => (s.entry ?? []).forEach((e, ei) => {
    need(e.reference && refs.resolve(e.reference, 0) !== undefined, `Composition.section[${si}].entry[${ei}] (${e.reference ?? 'no reference'}) is not an entry of the document`, `Bundle.entry[0].resource.section[${si}].entry[${ei}]`);
  }));

  const warnings: string[] = [...(options.warnings ?? [])];
  const filed = resources.map((resource, i) => {
    const copy = structuredClone(resource) as unknown as Json;
    copy.id = ids[i];
    if (copy.meta && typeof copy.meta === 'object') {
      // Carnet stamps its own version and time; what else the sender wrote in meta (profiles, tags) is kept.
      const { versionId: _v, lastUpdated: _l, ...meta } = copy.meta as Json;
      if (Object.keys(meta).length > 0) copy.meta = meta;
      else delete copy.meta;
    }
    eachReference(copy, (ref) => {
      const reference = ref.reference as string;
      if (reference.startsWith('#')) return;
      const target = refs.resolve(reference, i);
      if (target !== undefined) {
        ref.reference = local(target);
        return;
      }
      delete ref.reference;
      if (!ref.display && !ref.identifier) ref.display = reference;
      warnings.push(`Bundle.entry[${i}] (${resource.resourceType}): ${reference} is not in the document; kept as its ${ref.identifier ? 'identifier' : 'display'}`);
    });
    return copy as unknown as Resource & { id: string };
  });

  const patient = local(patients[0] as number);
  const original = options.original ?? { contentType: FHIR_JSON, bytes: Buffer.from(JSON.stringify(input), 'utf8') };
  const binary: Binary & { id: string } = {
    resourceType: 'Binary', id: nameUuid(`document|${key}`), contentType: original.contentType, securityContext: { reference: patient }, data: original.bytes.toString('base64'),
  };
  const filedComposition = filed[0] as Composition;
  const documentReference: DocumentReference & { id: string } = {
    resourceType: 'DocumentReference', id: nameUuid(`document|${key}|DocumentReference`), status: 'current',
    masterIdentifier: bundle.identifier as NonNullable<Bundle['identifier']>,
    ...(filedComposition.type ? { type: filedComposition.type } : {}),
    ...(filedComposition.category ? { category: filedComposition.category } : {}),
    subject: { reference: patient }, date: instant(bundle.timestamp as string),
    ...(filedComposition.author?.length ? { author: filedComposition.author } : {}),
    ...(filedComposition.custodian ? { custodian: filedComposition.custodian } : {}),
    ...(filedComposition.title ? { description: filedComposition.title } : {}),
    content: [{ attachment: { contentType: original.contentType, url: `Binary/${binary.id}`, ...(filedComposition.title ? { title: filedComposition.title } : {}), ...(filedComposition.date ? { creation: filedComposition.date } : {}) } }],
    context: { related: [{ reference: `Composition/${filedComposition.id}` }] },
  };
  const author = (filedComposition.author?.[0] ?? { display: filedComposition.title ?? key }) as Reference<Organization>;
  const provenance: Provenance & { id: string } = {
    resourceType: 'Provenance', id: nameUuid(`document|${key}|Provenance`),
    target: [...filed, documentReference].map((r) => ({ reference: `${r.resourceType}/${r.id}` })),
    recorded: options.now,
    ...(composition.date ? { occurredDateTime: composition.date } : {}),
    agent: [{ type: { coding: [{ system: PROVENANCE_PARTICIPANT_TYPE, code: 'author' }] }, who: author }],
    entity: [{ role: 'source', what: { reference: `DocumentReference/${documentReference.id}`, display: filedComposition.title ?? key } }],
  };
  // In the document's order, so that an error of entry i names Bundle.entry[i] of what the sender sent.
  return { key, patient, binary, resources: [...filed, documentReference, provenance], documentReference: `DocumentReference/${documentReference.id}`, warnings };
}
