import type { Identifier } from '@medplum/fhirtypes';

/** `identifier=system|value` criteria for conditional operations, escaped for the token syntax and the query string. */
export function identifierCriteria(identifier: Identifier): string {
  const value = (identifier.value ?? '').replace(/[\\,]/g, (c) => `\\${c}`);
  return `identifier=${encodeURIComponent(`${identifier.system ?? ''}|${value}`)}`;
}
