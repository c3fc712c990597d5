import type { Identifier } from '@medplum/fhirtypes';
import { identifierFromEi } from '../datatypes/person.js';
import { problem, type Hl7Location } from '../message/problems.js';
import type { Seg } from '../message/segments.js';
import type { MappingContext } from './context.js';

/**
 * The identifier of an order (filler order number first: it is the producer's own key, stable across
 * corrections; the placer's number otherwise), with where it came from.
 */
export function orderIdentifier(ctx: MappingContext, candidates: readonly [Seg | undefined, number, 'FILL' | 'PLAC'][], missingAt: Hl7Location): Identifier {
  for (const [seg, field, type] of candidates) {
    const rep = seg?.rep(field);
    const identifier = rep ? identifierFromEi(ctx, rep, type) : undefined;
    if (identifier) return identifier;
  }
  const names = candidates.filter(([seg]) => seg).map(([seg, field]) => `${seg?.name}-${field}`).join(' or ');
  throw problem.missing(missingAt, `an order number (${names})`);
}

/** Every distinct identifier among these (placer and filler numbers both kept on the resource). */
export function orderIdentifiers(ctx: MappingContext, candidates: readonly [Seg | undefined, number, 'FILL' | 'PLAC'][]): Identifier[] {
  const out: Identifier[] = [];
  for (const [seg, field, type] of candidates) {
    const rep = seg?.rep(field);
    const identifier = rep ? identifierFromEi(ctx, rep, type) : undefined;
    if (identifier && !out.some((i) => i.system === identifier.system && i.value === identifier.value)) out.push(identifier);
  }
  return out;
}

/** Throws "duplicate key" when two resources of one message would have the same identifier. */
export class UniqueKeys {
  private readonly seen = new Map<string, Hl7Location>();

  claim(resourceType: string, identifier: Identifier, at: Hl7Location, what: string): void {
    const key = `${resourceType}|${identifier.system}|${identifier.value}`;
    const before = this.seen.get(key);
    if (before) {
      throw problem.duplicate(at, `${what} repeats ${before.segment}[${before.sequence}] (same ${resourceType} identifier ${identifier.value}): it cannot be told apart`);
    }
    this.seen.set(key, at);
  }
}
