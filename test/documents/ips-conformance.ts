import { readFileSync } from 'node:fs';
import type { Bundle, Composition, Resource } from '@medplum/fhirtypes';
import { validationIssues } from '../../src/fhir/validation.js';

/**
 * IPS conformance checks of a document Bundle: the R4 base definitions (Carnet's own validation, through
 * @medplum/core) plus what @medplum/core cannot check — the IPS Bundle and Composition profiles' slicing
 * and invariants and the profiles' required elements — from facts copied out of hl7.fhir.uv.ips 2.0.0
 * (test/fixtures/ips/PROVENANCE.md), independently of Carnet's own section catalogue.
 */
interface Facts {
  composition: { required: string[]; type: { coding: { system: string; code: string }[] }; minSections: number };
  sections: { slice: string; loinc: string; min: number; max: string; entryTypes: string[]; entryOrEmptyReason: boolean }[];
  bundle: { required: string[]; requiredEntrySlices: string[] };
  profiles: Record<string, { url: string; type: string; required: string[] }>;
}

const FACTS = JSON.parse(readFileSync(new URL('../../../test/fixtures/ips/ips-2.0.0-facts.json', import.meta.url), 'utf8')) as Facts;

type Json = Record<string, unknown>;

function has(resource: Json, element: string): boolean {
  if (element.endsWith('[x]')) {
    const base = element.slice(0, -3);
    return Object.keys(resource).some((k) => k.startsWith(base) && k.length > base.length && /[A-Z]/.test(k.charAt(base.length)));
  }
  const v = resource[element];
  return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
}

function references(value: unknown, out: string[] = [], key = ''): string[] {
  if (Array.isArray(value)) for (const v of value) references(v, out);
  else if (value && typeof value === 'object' && key !== 'text') {
    const obj = value as Json;
    if (typeof obj.reference === 'string') out.push(obj.reference);
    for (const [k, v] of Object.entries(obj)) if (k !== 'contained') references(v, out, k);
  }
  return out;
}

const codes = (cc: unknown) => ((cc as { coding?: { code?: string; system?: string }[] } | undefined)?.coding ?? []);

/** The IPS profile a resource of a given section should meet, when the facts have one. */
function profileOf(resource: Json, sectionCode: string | undefined): string | undefined {
  const type = resource.resourceType as string;
  if (type !== 'Observation') return FACTS.profiles[type] ? type : undefined;
  const cats = ((resource.category as unknown[]) ?? []).flatMap((c) => codes(c).map((x) => x.code));
  if (sectionCode === '30954-2') return cats.includes('imaging') ? 'Observation-results-radiology' : 'Observation-results-laboratory-pathology';
  if (codes(resource.code).some((c) => c.code === '72166-2')) return 'Observation-tobaccouse';
  if (codes(resource.code).some((c) => c.code === '74013-4')) return 'Observation-alcoholuse';
  if (codes(resource.code).some((c) => c.code === '82810-3')) return 'Observation-pregnancy-status';
  return undefined;
}

/** Every problem found, as readable strings; an empty list means the document conforms. */
export function ipsProblems(bundle: Bundle): string[] {
  const problems: string[] = [];
  const b = bundle as unknown as Json;
  for (const e of FACTS.bundle.required) if (!has(b, e)) problems.push(`Bundle.${e} is missing`);
  if (bundle.type !== 'document') problems.push(`Bundle.type is ${bundle.type}, not document`);
  if (!bundle.identifier?.system || !bundle.identifier.value) problems.push('Bundle.identifier needs a system and a value');
  const entries = bundle.entry ?? [];
  const byUrl = new Map<string, Resource>();
  for (const [i, e] of entries.entries()) {
    if (!e.fullUrl) problems.push(`entry[${i}] has no fullUrl`);
    else if (byUrl.has(e.fullUrl)) problems.push(`entry[${i}] repeats fullUrl ${e.fullUrl}`);
    else if (e.resource) byUrl.set(e.fullUrl, e.resource);
    if (!e.resource) problems.push(`entry[${i}] has no resource`);
  }
  const composition = entries[0]?.resource as Composition | undefined;
  if (composition?.resourceType !== 'Composition') return [...problems, 'the first entry is not a Composition'];
  if (entries.slice(1).some((e) => e.resource?.resourceType === 'Composition')) problems.push('bdl-ips-1: a Composition after the first entry');
  for (const [i, e] of entries.entries()) {
    for (const ref of references(e.resource)) if (!ref.startsWith('#') && !byUrl.has(ref)) problems.push(`entry[${i}] ${e.resource?.resourceType}: reference ${ref} does not resolve inside the Bundle`);
  }
  if (!entries.some((e) => e.resource?.resourceType === 'Patient')) problems.push('no Patient entry (slice patient 1..1)');

  const c = composition as unknown as Json;
  for (const e of FACTS.composition.required) if (!has(c, e)) problems.push(`Composition.${e} is missing`);
  const want = FACTS.composition.type.coding[0];
  if (!codes(composition.type).some((x) => x.system === want?.system && x.code === want?.code)) problems.push('Composition.type is not LOINC 60591-5');
  if (byUrl.get(composition.subject?.reference ?? '')?.resourceType !== 'Patient') problems.push('Composition.subject is not the Patient entry');
  for (const a of composition.author ?? []) if (!byUrl.has(a.reference ?? '')) problems.push('Composition.author does not resolve');
  const sections = composition.section ?? [];
  if (sections.length < FACTS.composition.minSections) problems.push(`Composition has ${sections.length} sections, fewer than ${FACTS.composition.minSections}`);
  const sectionOf = new Map<string, string>();
  for (const slice of FACTS.sections) {
    const matching = sections.filter((s) => codes(s.code).some((x) => x.system === 'http://loinc.org' && x.code === slice.loinc));
    if (matching.length < slice.min) problems.push(`${slice.slice} (${slice.loinc}) is required and missing`);
    if (slice.max !== '*' && matching.length > Number(slice.max)) problems.push(`${slice.slice} appears ${matching.length} times`);
    for (const s of matching) {
      if (!s.text?.div?.startsWith('<div')) problems.push(`${slice.slice} has no narrative`);
      const n = s.entry?.length ?? 0;
      if (slice.entryOrEmptyReason && n === 0 && !s.emptyReason) problems.push(`ips-comp-1: ${slice.slice} has neither entries nor emptyReason`);
      if (n > 0 && s.emptyReason) problems.push(`cmp-2: ${slice.slice} has entries and an emptyReason`);
      for (const entry of s.entry ?? []) {
        const target = byUrl.get(entry.reference ?? '');
        if (!target) continue;
        if (!slice.entryTypes.includes(target.resourceType)) problems.push(`${slice.slice}: entry of type ${target.resourceType} not allowed`);
        sectionOf.set(entry.reference as string, slice.loinc);
      }
    }
  }
  for (const s of sections) if (!FACTS.sections.some((slice) => codes(s.code).some((x) => x.code === slice.loinc))) problems.push(`section ${codes(s.code)[0]?.code} is none of the IPS slices`);

  for (const [url, resource] of byUrl) {
    const profile = profileOf(resource as unknown as Json, sectionOf.get(url));
    const facts = profile ? FACTS.profiles[profile] : undefined;
    for (const e of facts?.required ?? []) if (!has(resource as unknown as Json, e)) problems.push(`${resource.resourceType} ${url}: ${profile} requires ${e}`);
  }
  if (composition.subject?.reference) {
    const patient = byUrl.get(composition.subject.reference) as unknown as { name?: { family?: string; given?: string[]; text?: string }[] } | undefined;
    if (!patient?.name?.some((n) => n.family || n.given?.length || n.text)) problems.push('ips-pat-1: the Patient has no name');
  }
  for (const issue of validationIssues(bundle)) {
    if (issue.severity === 'error' || issue.severity === 'fatal') problems.push(`R4: ${issue.details?.text ?? issue.diagnostics} at ${issue.expression?.join(', ')}`);
  }
  return problems;
}
