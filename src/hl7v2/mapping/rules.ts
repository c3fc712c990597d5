import type { Resource } from '@medplum/fhirtypes';
import { codeableConcept, fixedConcept } from '../datatypes/coded.js';
import { toDate, toDateTime, toInstant } from '../datatypes/dates.js';
import { address, contactPoint, humanName, identifierFromCx, organizationReference, personReference } from '../datatypes/person.js';
import { problem } from '../message/problems.js';
import type { Seg } from '../message/segments.js';
import type { MappingContext } from './context.js';
import { tableValue, type TableName } from './tables.js';

/**
 * The declarative part of the mappings: a resource is described by a table of field rules
 * (`{ to: 'effectiveDateTime', field: 14, as: conv.dateTime }`) applied to one segment. A sender profile may
 * point any rule at another field (`"Observation.effectiveDateTime": "OBX-19"`).
 */

export type Converter = (ctx: MappingContext, seg: Seg, field: number) => unknown;

export interface FieldRule {
  /** Element of the resource; arrays are filled whole. */
  readonly to: string;
  readonly field: number;
  readonly as: Converter;
  /** An empty required field is a "required field missing" (101) problem naming it. */
  readonly required?: boolean;
}

const present = <T>(values: (T | undefined)[]): T[] | undefined => {
  const kept = values.filter((v): v is T => v !== undefined);
  return kept.length ? kept : undefined;
};

/** Converters from one field of a segment to a FHIR value (undefined when the field is empty). */
export const conv = {
  string: ((_ctx, seg, field) => seg.get(field).trim() || undefined) satisfies Converter,
  /** ST/TX/FT: every repetition, components kept, escapes decoded, repetitions on separate lines. */
  text: ((_ctx, seg, field) => seg.reps(field).map((r) => r.text).join('\n').trim() || undefined) satisfies Converter,
  dateTime: ((ctx, seg, field) => (seg.get(field) ? toDateTime(seg.get(field), seg.loc(field, 1), ctx.profile.timezone) : undefined)) satisfies Converter,
  instant: ((ctx, seg, field) => (seg.get(field) ? toInstant(seg.get(field), seg.loc(field, 1), ctx.profile.timezone) : undefined)) satisfies Converter,
  date: ((_ctx, seg, field) => (seg.get(field) ? toDate(seg.get(field), seg.loc(field, 1)) : undefined)) satisfies Converter,
  concept: ((ctx, seg, field) => codeableConcept(ctx, seg.rep(field))) satisfies Converter,
  concepts: ((ctx, seg, field) => present(seg.reps(field).map((r) => codeableConcept(ctx, r)))) satisfies Converter,
  identifiers: ((ctx, seg, field) => present(seg.reps(field).map((r) => identifierFromCx(ctx, r)))) satisfies Converter,
  names: ((ctx, seg, field) => present(seg.reps(field).map((r) => humanName(ctx, r)))) satisfies Converter,
  addresses: ((ctx, seg, field) => present(seg.reps(field).map((r) => address(ctx, r)))) satisfies Converter,
  telecoms: ((ctx, seg, field) => present(seg.reps(field).map((r) => contactPoint(ctx, r)))) satisfies Converter,
  person: ((ctx, seg, field) => personReference(ctx, seg.rep(field))) satisfies Converter,
  persons: ((ctx, seg, field) => present(seg.reps(field).map((r) => personReference(ctx, r)))) satisfies Converter,
  organization: ((_ctx, seg, field) => organizationReference(seg.rep(field))) satisfies Converter,
  /** A coded field looked up in a value table; an unknown code is a warning and the element is left out. */
  code: (table: TableName): Converter => (ctx, seg, field) => {
    const raw = seg.get(field).trim();
    if (!raw) return undefined;
    const value = tableValue(ctx, table, raw);
    if (value === undefined) ctx.warnings.push(problem.warning('103', `"${raw}" is not a known value (table ${table}); left out`, seg.loc(field)));
    return value;
  },
  /** Like `code`, but the value becomes a CodeableConcept of a fixed FHIR code system. */
  codedAs: (table: TableName, system: string): Converter => (ctx, seg, field) => {
    const value = conv.code(table)(ctx, seg, field) as string | undefined;
    return value === undefined ? undefined : fixedConcept(system, value);
  },
  /** Wraps a converter's value in an array. */
  list: (inner: Converter): Converter => (ctx, seg, field) => {
    const value = inner(ctx, seg, field);
    return value === undefined ? undefined : [value];
  },
};

/** The field a rule reads for this sender: the profile may move it (`Observation.effectiveDateTime: OBX-19`). */
function fieldFor(ctx: MappingContext, resourceType: string, seg: Seg, rule: FieldRule): number {
  const moved = ctx.profile.fields[`${resourceType}.${rule.to}`];
  if (!moved) return rule.field;
  const [segment, field] = moved.split('-');
  return segment === seg.name ? Number(field) : rule.field;
}

/** Applies a rule table to a segment, filling `target`. */
export function applyRules<T extends Resource>(ctx: MappingContext, seg: Seg, target: T, rules: readonly FieldRule[]): T {
  const out = target as unknown as Record<string, unknown>;
  for (const rule of rules) {
    const field = fieldFor(ctx, target.resourceType, seg, rule);
    const value = rule.as(ctx, seg, field);
    if (value === undefined) {
      if (rule.required) throw problem.missing(seg.loc(field), `${seg.name}-${field} (${target.resourceType}.${rule.to})`);
      continue;
    }
    out[rule.to] = value;
  }
  return target;
}
