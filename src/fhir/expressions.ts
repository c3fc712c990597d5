import { getParsedExpressionForResourceType, type FhirPathAtom } from '@medplum/core';

const cache = new Map<string, FhirPathAtom>();

/**
 * The parsed FHIRPath of a search parameter for one resource type. @medplum/core re-parses on every call
 * (~9 µs); indexing evaluates a dozen expressions per write, so parsed atoms are kept for the process.
 */
export function parsedExpression(resourceType: string, expression: string): FhirPathAtom {
  const key = `${resourceType}\u0000${expression}`;
  let atom = cache.get(key);
  if (!atom) {
    atom = getParsedExpressionForResourceType(resourceType, expression);
    cache.set(key, atom);
  }
  return atom;
}
