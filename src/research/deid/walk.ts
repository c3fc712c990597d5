import { V3_OBSERVATION_VALUE } from '../../fhir/code-systems.js';
import { elementIndex } from '../../fhir/validation/elements.js';
import { shiftDate, yearOf } from './dates.js';
import type { DeidProfile } from './profiles.js';

/**
 * One resource through a de-identification profile (pure). The walk is driven by the R4 definitions: each
 * element is treated by its FHIR type wherever it appears (in extensions, backbone elements and contained
 * resources too), so a name is removed as a HumanName and a date shifted as a dateTime whatever the
 * resource. What is not known to the definitions is dropped: nothing passes unexamined.
 *
 * `counts` says what was done (the release report): `removed.*`, `shifted.*`, `generalised.*`, `pseudonymised.*`.
 */
export type Counts = Record<string, number>;

export interface WalkContext {
  readonly profile: DeidProfile;
  /** The date shift of the person the resource belongs to, in days. */
  readonly shift: number;
  /** The pseudonym of a resource id (the same for its references). */
  readonly pseudonym: (type: string, id: string) => string;
}

/** Types removed whole, and the report line each counts under. */
const REMOVED: Readonly<Record<string, string>> = {
  HumanName: 'removed.names', Identifier: 'removed.identifiers', ContactPoint: 'removed.telecom', Attachment: 'removed.attachments',
  base64Binary: 'removed.attachments', Signature: 'removed.signatures', Narrative: 'removed.narratives', Annotation: 'removed.notes',
  markdown: 'removed.free-text',
};
/** Of those, the ones that are free text (kept by a profile that keeps free text). */
const FREE_TEXT = new Set(['Narrative', 'Annotation', 'markdown']);
const KEPT_PRIMITIVES = new Set(['boolean', 'integer', 'integer64', 'decimal', 'positiveInt', 'unsignedInt', 'code', 'uri', 'url', 'canonical', 'oid', 'uuid', 'id', 'time']);
const DATES = new Set(['date', 'dateTime', 'instant']);
/** Strings that are the words of codes and units, or a place no smaller than a province; any other string may be free text. */
const KEPT_STRINGS = new Set(['Coding.display', 'CodeableConcept.text', 'Quantity.unit', 'Age.unit', 'Duration.unit', 'Distance.unit', 'Count.unit',
  'SimpleQuantity.unit', 'MoneyQuantity.unit', 'Address.state', 'Address.country']);
const RELATIVE_REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export const LABELS: Readonly<Record<DeidProfile['keyScope'], { system: string; code: string; display: string }>> = {
  export: { system: V3_OBSERVATION_VALUE, code: 'ANONYED', display: 'anonymized' },
  project: { system: V3_OBSERVATION_VALUE, code: 'PSEUDED', display: 'pseudonymized' },
};

type Json = Record<string, unknown>;

function count(counts: Counts, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function element(value: unknown, type: string, owner: string, key: string, ctx: WalkContext, counts: Counts): unknown {
  if (Array.isArray(value)) {
    const out = value.map((v) => element(v, type, owner, key, ctx, counts)).filter((v) => v !== undefined);
    return out.length > 0 ? out : undefined;
  }
  const removedAs = REMOVED[type];
  if (removedAs && !(ctx.profile.keepFreeText && FREE_TEXT.has(type))) return void count(counts, removedAs);
  if (DATES.has(type)) {
    if (typeof value !== 'string') return undefined;
    count(counts, 'shifted.dates');
    return shiftDate(value, ctx.shift);
  }
  if (type === 'string' || type === 'xhtml') {
    if (ctx.profile.keepFreeText || KEPT_STRINGS.has(`${owner}.${key}`)) return value;
    return void count(counts, 'removed.free-text');
  }
  if (KEPT_PRIMITIVES.has(type) || type.startsWith('http://hl7.org/fhirpath/System.')) return value;
  if (!isObject(value)) return undefined;
  if (type === 'Resource') return walkResource(value, ctx, counts, true);
  if (type === 'Reference') return reference(value, ctx, counts);
  if (type === 'Address') return address(value, ctx, counts);
  if (type === 'Age') return age(value, ctx, counts);
  return complex(value, type, ctx, counts);
}

function complex(value: Json, type: string, ctx: WalkContext, counts: Counts, skip?: ReadonlySet<string>): Json | undefined {
  const index = elementIndex(type);
  if (!index) return void count(counts, 'removed.unknown-elements');
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    if (skip?.has(key)) continue;
    const info = key.startsWith('_') ? undefined : index.get(key);
    // A primitive's own extensions (`_birthDate`) and anything the definitions do not know are dropped.
    if (!info) {
      count(counts, 'removed.unknown-elements');
      continue;
    }
    const walked = element(v, info.type, type, key, ctx, counts);
    if (walked !== undefined) out[key] = walked;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function reference(ref: Json, ctx: WalkContext, counts: Counts): Json | undefined {
  const out = complex(ref, 'Reference', ctx, counts, new Set(['reference'])) ?? {};
  const target = ref.reference;
  if (typeof target === 'string') {
    const m = RELATIVE_REFERENCE.exec(target);
    if (m) {
      out.reference = `${m[1]}/${ctx.pseudonym(m[1] as string, m[2] as string)}`;
      count(counts, 'pseudonymised.references');
    } else if (target.startsWith('#')) {
      out.reference = target;
    } else {
      count(counts, 'removed.references');
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function address(value: Json, ctx: WalkContext, counts: Counts): Json | undefined {
  const out: Json = {};
  for (const key of ['use', 'type', 'state', 'country']) if (typeof value[key] === 'string') out[key] = value[key];
  if (['line', 'city', 'district', 'text', 'period'].some((k) => value[k] !== undefined)) count(counts, 'removed.address-lines');
  if (typeof value.postalCode === 'string') {
    const prefix = value.postalCode.replace(/\s+/g, '').toUpperCase().slice(0, ctx.profile.postalPrefix);
    if (prefix) out.postalCode = prefix;
    count(counts, 'generalised.postal-codes');
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function age(value: Json, ctx: WalkContext, counts: Counts): Json | undefined {
  const out = complex(value, 'Age', ctx, counts);
  if (out && typeof out.value === 'number' && out.value > ctx.profile.topAge && (out.code === 'a' || out.unit === 'a' || out.unit === 'years')) {
    out.value = ctx.profile.topAge + 1;
    out.comparator = '>=';
    count(counts, 'generalised.ages');
  }
  return out;
}

/** The first current address of a person: the only one released (a second address is a second quasi-identifier). */
function currentAddress(addresses: unknown, counts: Counts): unknown {
  if (!Array.isArray(addresses) || addresses.length === 0) return undefined;
  const chosen = addresses.find((a) => isObject(a) && a.use !== 'old' && !(isObject(a.period) && a.period.end)) ?? addresses[0];
  if (addresses.length > 1) count(counts, 'removed.addresses', addresses.length - 1);
  return [chosen];
}

/**
 * A resource through the profile: a pseudonymous id, a meta that says only how it was released, every
 * element by its type. A contained resource keeps its local id (its `#id` references stay right).
 */
export function walkResource(resource: Json, ctx: WalkContext, counts: Counts, contained = false): Json | undefined {
  const type = resource.resourceType;
  if (typeof type !== 'string' || !elementIndex(type)) return void count(counts, 'removed.unknown-elements');
  const out: Json = { resourceType: type };
  if (typeof resource.id === 'string') {
    out.id = contained ? resource.id : ctx.pseudonym(type, resource.id);
    if (!contained) count(counts, 'pseudonymised.ids');
  }
  out.meta = { security: [LABELS[ctx.profile.keyScope]] };
  const source: Json = { ...resource };
  delete source.resourceType;
  delete source.id;
  delete source.meta;
  if (type === 'Patient') {
    if (source.contact !== undefined) count(counts, 'removed.contacts');
    delete source.contact;
    if (source.address !== undefined) source.address = currentAddress(source.address, counts);
    const year = yearOf(source.birthDate);
    delete source.birthDate;
    if (year !== undefined) {
      const released = ctx.profile.birthDate === 'year' ? year : yearOf(shiftDate(resource.birthDate as string, ctx.shift)) as number;
      out.birthDate = String(released).padStart(4, '0');
      count(counts, 'generalised.birth-dates');
    }
  }
  Object.assign(out, complex(source, type, ctx, counts) ?? {});
  return out;
}
