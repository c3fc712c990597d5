import type { CodeableConcept, Coding, Quantity, Reference } from '@medplum/fhirtypes';
import { SYNTHETIC_TAG, UCUM } from './systems.js';

/** Small builders for FHIR datatypes (pure). */

export function coding(system: string, code: string, display?: string): Coding {
  return display ? { system, code, display } : { system, code };
}

export function concept(codings: Coding[], text?: string): CodeableConcept {
  return text ? { coding: codings, text } : { coding: codings };
}

/** A reference usable wherever FHIR allows any target type (the generator knows what it points at). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Ref = Reference<any>;

export function reference(type: string, id: string, display?: string): Ref {
  return display ? { reference: `${type}/${id}`, display } : { reference: `${type}/${id}` };
}

export function quantity(value: number, ucum: string, unitDisplay: string): Quantity {
  return { value, unit: unitDisplay, system: UCUM, code: ucum };
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** A resource's `meta`: every generated resource carries the synthetic-data tag. */
export function meta(): { tag: Coding[] } {
  return { tag: [{ ...SYNTHETIC_TAG }] };
}

/** XHTML narrative (escaped). */
export function narrative(paragraphs: readonly string[]): { status: 'generated'; div: string } {
  const body = paragraphs.map((p) => `<p>${escapeXml(p)}</p>`).join('');
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${body}</div>` };
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
