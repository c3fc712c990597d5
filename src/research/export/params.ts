import type { Parameters } from '@medplum/fhirtypes';
import { fhirDefinitions } from '../../fhir/definitions.js';
import { errors, FhirError } from '../../fhir/outcomes.js';
import { partialDateRange } from '../../fhir/interactions/dates.js';

/**
 * The kick-off request of a Bulk Data export (FHIR Bulk Data Access 2.0, `$export`) → its parameters as
 * data, or the error the specification asks for (pure). Nothing is started for a request that fails here.
 */
export type ExportLevel = 'system' | 'patient' | 'group';

export interface ExportParams {
  readonly level: ExportLevel;
  readonly groupId?: string;
  /** The types asked for (`_type`), in the order given; undefined: every type the client may read. */
  readonly types?: readonly string[];
  /** Only resources last updated after this instant (`_since`, exclusive). */
  readonly since?: string;
  /** Only resources last updated at or before this instant (`_until`). */
  readonly until?: string;
  /** `_typeFilter`: per type, search queries (without the type), ORed. */
  readonly typeFilters: Readonly<Record<string, readonly string[]>>;
  /** `_elements`: `element` (every type) or `Type.element`. */
  readonly elements?: readonly string[];
  /** `patient`: Patient ids (patient and group levels only). */
  readonly patients?: readonly string[];
  /** `_profile`: the de-identification profile applied in the stream (docs/research.md). */
  readonly profile?: string;
  /** Parameters ignored under `Prefer: handling=lenient` (reported in the manifest's error file). */
  readonly ignored: readonly string[];
}

export interface KickOffInput {
  readonly method: string;
  readonly level: ExportLevel;
  readonly groupId?: string;
  readonly query: URLSearchParams;
  readonly body?: unknown;
  readonly prefer?: string;
  readonly now: Date;
  /** De-identification profiles the server knows (by name). */
  readonly profiles: ReadonlySet<string>;
}

/** Every spelling of NDJSON the specification tells servers to accept. */
export const NDJSON_FORMATS: ReadonlySet<string> = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);

const KNOWN = new Set(['_outputFormat', '_since', '_until', '_type', '_typeFilter', '_elements', 'patient', 'includeAssociatedData', '_profile', '_format']);

/** The types of the Patient compartment (a Patient, and every type a compartment parameter places in one). */
export function patientCompartmentTypes(): ReadonlySet<string> {
  const defs = fhirDefinitions();
  return new Set([...defs.resourceTypes].filter((t) => t === 'Patient' || defs.patientCompartmentParams(t).length > 0));
}

/** Whether `Prefer` asks for lenient handling (`handling=lenient`). */
export function lenientOf(prefer: string | undefined): boolean {
  return /(^|[\s,;])handling\s*=\s*lenient(\s|,|;|$)/i.test(prefer ?? '');
}

export function respondAsync(prefer: string | undefined): boolean {
  return /(^|[\s,;])respond-async(\s|,|;|$)/i.test(prefer ?? '');
}

/** The request's parameters as (name, value) pairs: the query string, and for POST a Parameters body. */
function pairsOf(input: KickOffInput): [string, string][] {
  const pairs: [string, string][] = [...input.query.entries()];
  if (input.method !== 'POST' || input.body === undefined) return pairs;
  const body = input.body as Parameters;
  if (typeof body !== 'object' || body === null || body.resourceType !== 'Parameters') {
    throw errors.invalid('A POST $export carries its parameters in a Parameters resource');
  }
  for (const p of body.parameter ?? []) {
    const value = p.valueString ?? p.valueCode ?? p.valueInstant ?? p.valueDateTime ?? p.valueUri ?? p.valueCanonical ?? p.valueId
      ?? p.valueReference?.reference ?? (p.valueBoolean !== undefined ? String(p.valueBoolean) : undefined);
    if (!p.name || value === undefined) throw errors.invalid(`The $export parameter "${p.name ?? ''}" has no value of a supported type`);
    pairs.push([p.name, value]);
  }
  return pairs;
}

function list(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/** The queries of one `_typeFilter` value (`Type?search,Type?search`), decoded once more if the client encoded them twice. */
function filterQueries(value: string): string[] {
  let text = value.trim();
  if (/^[A-Z][A-Za-z]+%3F/i.test(text)) {
    try {
      text = decodeURIComponent(text);
    } catch {
      // left as sent: refused below as a malformed query
    }
  }
  return text.split(/,(?=[A-Z][A-Za-z]+\?)/).map((q) => q.trim()).filter(Boolean);
}

function instant(value: string, name: string): string {
  if (!/T/.test(value) && !/^\d{4}(-\d{2}(-\d{2})?)?$/.test(value)) throw errors.invalid(`${name} must be a FHIR instant (got "${value}")`);
  return partialDateRange(value, name).start;
}

/** Parses and checks a kick-off request; throws a FhirError (400) for anything the spec says to refuse. */
export function parseKickOff(input: KickOffInput): ExportParams {
  if (!respondAsync(input.prefer)) throw errors.invalid('A bulk export is asynchronous: send "Prefer: respond-async"');
  const lenient = lenientOf(input.prefer);
  const pairs = pairsOf(input);
  const all = (name: string) => pairs.filter(([n]) => n === name).map(([, v]) => v);
  const one = (name: string): string | undefined => {
    const values = all(name);
    if (values.length > 1) throw errors.invalid(`${name} may be given once`);
    return values[0];
  };
  const ignored: string[] = [];
  const unsupported = (what: string) => {
    if (!lenient) throw new FhirError('invalid', `${what} (send "Prefer: handling=lenient" to have it ignored)`);
    ignored.push(what);
  };
  for (const [name] of pairs) if (!KNOWN.has(name) && !ignored.includes(`parameter ${name}`)) unsupported(`parameter ${name} is not supported`);

  const format = one('_outputFormat');
  if (format !== undefined && !NDJSON_FORMATS.has(format)) {
    throw errors.invalid(`_outputFormat "${format}" is not supported: application/fhir+ndjson (or application/ndjson, ndjson)`);
  }
  const types = all('_type').length > 0 ? [...new Set(list(all('_type')))] : undefined;
  const defs = fhirDefinitions();
  const compartment = input.level === 'system' ? undefined : patientCompartmentTypes();
  const keptTypes = types?.filter((type) => {
    if (!defs.resourceTypes.has(type)) {
      if (!lenient) throw errors.invalid(`_type: "${type}" is not a resource type`);
      ignored.push(`_type ${type} is not a resource type`);
      return false;
    }
    if (compartment && !compartment.has(type)) {
      // Bulk Data 2.0: an error when *only* types outside the compartment are asked for; with others, they are left out (and said so).
      ignored.push(`_type ${type} is outside the Patient compartment (a ${input.level}-level export holds patient data only)`);
      return false;
    }
    return true;
  });
  if (keptTypes && keptTypes.length === 0) {
    throw errors.invalid(compartment && types?.every((t) => defs.resourceTypes.has(t))
      ? `_type: ${types.join(', ')} ${types.length > 1 ? 'are' : 'is'} outside the Patient compartment (a ${input.level}-level export holds patient data only)`
      : '_type names no type that can be exported');
  }

  const sinceRaw = one('_since');
  const since = sinceRaw === undefined ? undefined : instant(sinceRaw, '_since');
  if (since && Date.parse(since) > input.now.getTime()) throw errors.invalid(`_since (${sinceRaw}) is in the future`);
  const untilRaw = one('_until');
  const until = untilRaw === undefined ? undefined : instant(untilRaw, '_until');
  if (since && until && Date.parse(until) <= Date.parse(since)) throw errors.invalid('_until must be after _since');

  const typeFilters: Record<string, string[]> = {};
  // Repeated _typeFilter parameters are as comma-separated queries in one; a comma starts a query only before `Type?`.
  for (const filter of all('_typeFilter').flatMap(filterQueries)) {
    const match = /^([A-Z][A-Za-z]+)\?(.+)$/.exec(filter);
    const type = match?.[1];
    const refusal = !match ? `_typeFilter "${filter}" must be [Type]?[search parameters]`
      : !defs.resourceTypes.has(type as string) ? `_typeFilter: "${type}" is not a resource type`
      : keptTypes && !keptTypes.includes(type as string) ? `_typeFilter names ${type}, which _type does not ask for` : undefined;
    if (refusal) {
      if (!lenient) throw errors.invalid(refusal);
      ignored.push(refusal);
      continue;
    }
    (typeFilters[type as string] ??= []).push(match?.[2] as string);
  }

  const elementsRaw = all('_elements');
  const elements = elementsRaw.length > 0 ? list(elementsRaw) : undefined;
  for (const element of elements ?? []) {
    const m = /^(?:([A-Z][A-Za-z]+)\.)?([a-z][A-Za-z0-9]*(?:\[x\])?)$/.exec(element);
    if (!m) throw errors.invalid(`_elements: "${element}" must be an element name or Type.element`);
    if (m[1] && !defs.resourceTypes.has(m[1])) throw errors.invalid(`_elements: "${m[1]}" is not a resource type`);
  }

  const patientRefs = list(all('patient'));
  if (patientRefs.length > 0 && input.level === 'system') throw errors.invalid('patient may only be given to Patient/$export and Group/[id]/$export');
  const patients = patientRefs.map((ref) => {
    const m = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
    if (!m) throw errors.invalid(`patient must reference a Patient (got "${ref}")`);
    return m[1] as string;
  });

  for (const value of all('includeAssociatedData')) unsupported(`includeAssociatedData=${value} is not supported`);
  const profile = one('_profile');
  if (profile !== undefined && !input.profiles.has(profile)) {
    throw errors.invalid(`_profile "${profile}" is not a de-identification profile of this server (${[...input.profiles].join(', ')})`);
  }
  return {
    level: input.level, ...(input.groupId ? { groupId: input.groupId } : {}), ...(keptTypes ? { types: keptTypes } : {}),
    ...(since ? { since } : {}), ...(until ? { until } : {}), typeFilters, ...(elements ? { elements } : {}),
    ...(patients.length > 0 ? { patients: [...new Set(patients)] } : {}), ...(profile ? { profile } : {}), ignored,
  };
}
