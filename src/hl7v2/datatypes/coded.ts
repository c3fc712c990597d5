import type { CodeableConcept, Coding } from '@medplum/fhirtypes';
import type { Rep } from '../message/segments.js';
import type { MappingContext } from '../mapping/context.js';
import { problem } from '../message/problems.js';
import { codeSystemUri } from '../mapping/tables.js';
import { LOINC } from '../../fhir/code-systems.js';

/** CE / CWE / CNE → FHIR CodeableConcept, and CWE.1-3 → Coding. Pure. */

/** One coding triplet (identifier, text, coding system) starting at component `first` (1 or 4). */
export function codingAt(ctx: MappingContext, rep: Rep, first: 1 | 4): Coding | undefined {
  const code = rep.c(first).trim();
  const display = rep.c(first + 1).trim();
  const systemName = rep.c(first + 2).trim();
  if (!code) return undefined;
  const system = codeSystemUri(ctx, systemName || 'L');
  if (!system) {
    ctx.warnings.push(problem.warning('102', `"${systemName}" is not a coding system name (HL7 table 0396): the code is kept as text only`, rep.loc(first + 2)));
    return undefined;
  }
  return { system, code, ...(display ? { display } : {}) };
}

export interface ConceptOptions {
  /** Look the local code up in the sender's ConceptMaps (OBX-3 → LOINC). */
  readonly translate?: boolean;
}

export function codeableConcept(ctx: MappingContext, rep: Rep | undefined, options: ConceptOptions = {}): CodeableConcept | undefined {
  if (!rep) return undefined;
  const codings: Coding[] = [];
  for (const first of [1, 4] as const) {
    const coding = codingAt(ctx, rep, first);
    if (coding && !codings.some((c) => c.system === coding.system && c.code === coding.code)) codings.push(coding);
  }
  if (options.translate && !codings.some((c) => c.system === LOINC)) {
    for (const local of [...codings]) {
      for (const target of ctx.codeMaps.translate(local.system as string, local.code as string)) {
        if (!codings.some((c) => c.system === target.system && c.code === target.code)) codings.unshift(target);
      }
    }
  }
  const originalText = rep.c(9).trim();
  const text = originalText || codings.find((c) => c.display)?.display || (codings.length === 0 ? rep.c(2).trim() || rep.c(1).trim() : '');
  if (codings.length === 0 && rep.c(1).trim() && text !== rep.c(1).trim()) return { text: `${text} (${rep.c(1).trim()})` };
  if (codings.length === 0 && !text) return undefined;
  return { ...(codings.length ? { coding: codings } : {}), ...(text ? { text } : {}) };
}

/** A coded value from a fixed FHIR code system (v2 tables, v3 code systems). */
export function fixedConcept(system: string, code: string, display?: string): CodeableConcept {
  return { coding: [{ system, code, ...(display ? { display } : {}) }] };
}
