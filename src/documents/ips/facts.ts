import type { CodeableConcept, Coding, Resource } from '@medplum/fhirtypes';
import type { Lang } from '../language.js';
import { ATC, CVX, LOINC, SNOMED } from '../../fhir/code-systems.js';

/**
 * Small readers of clinical facts shared by the section rules, de-duplication and narratives. They read
 * the JSON defensively: stored resources are valid R4, but most elements are optional.
 */
export type Json = Record<string, unknown>;

export { LOINC };
/** Preferred code systems when one concept has codings in several (the international ones first). */
const PREFERRED = [LOINC, SNOMED, ATC, CVX];

export function codings(concept: unknown): Coding[] {
  const c = concept as CodeableConcept | undefined;
  return Array.isArray(c?.coding) ? c.coding.filter((x) => typeof x?.code === 'string') : [];
}

/** Every `system|code` of a concept: two concepts sharing one are the same fact. */
export function conceptKeys(concept: unknown): string[] {
  const keys = codings(concept).map((c) => `${c.system ?? ''}|${c.code}`);
  const text = (concept as CodeableConcept | undefined)?.text;
  return keys.length > 0 ? keys : text ? [`text|${text.trim().toLowerCase()}`] : [];
}

/** One stable key of a concept (the preferred system's code), for grouping "per analyte". */
export function conceptKey(concept: unknown): string | undefined {
  const all = codings(concept);
  for (const system of PREFERRED) {
    const hit = all.find((c) => c.system === system);
    if (hit) return `${system}|${hit.code}`;
  }
  return conceptKeys(concept)[0];
}

/** A code of a CodeableConcept from one system, e.g. the clinical status. */
export function codeIn(concept: unknown, system?: string): string | undefined {
  return codings(concept).find((c) => !system || c.system === system)?.code;
}

export function hasCode(concepts: unknown, code: string): boolean {
  const list = Array.isArray(concepts) ? concepts : [concepts];
  return list.some((c) => codings(c).some((x) => x.code === code));
}

/**
 * The concept in the reader's language: sources write `text` in their own language (mostly French in
 * Québec) and codings carry the code system's English display, so English prefers the display and
 * French the text.
 */
export function conceptLabel(concept: unknown, lang: Lang): string {
  const c = concept as CodeableConcept | undefined;
  const display = codings(c).find((x) => x.display)?.display;
  const text = c?.text;
  return (lang === 'en' ? display ?? text : text ?? display) ?? codings(c)[0]?.code ?? '—';
}

/** The first of several date elements present, as an ISO string. */
export function firstDate(resource: Json, ...paths: string[]): string | undefined {
  for (const path of paths) {
    let value: unknown = resource;
    for (const part of path.split('.')) value = (value as Json | undefined)?.[part];
    if (typeof value === 'string' && value.length >= 4) return value;
  }
  return undefined;
}

/** Milliseconds of a FHIR date/dateTime/instant (partial dates count from their start). */
export function timeOf(value: string | undefined): number {
  if (!value) return Number.NEGATIVE_INFINITY;
  const padded = value.length === 4 ? `${value}-01-01` : value.length === 7 ? `${value}-01` : value;
  const ms = Date.parse(padded);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

export function monthsBefore(now: Date, months: number): number {
  const d = new Date(now.getTime());
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.getTime();
}

export const DAY_MS = 86_400_000;

export function refOf(resource: Resource): string {
  return `${resource.resourceType}/${resource.id}`;
}
