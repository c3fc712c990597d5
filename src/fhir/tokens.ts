import { convertToSearchableTokens, evalFhirPathTyped, toTypedValue } from '@medplum/core';
import { parsedExpression } from './expressions.js';
import type { Resource, SearchParameter } from '@medplum/fhirtypes';
import { fhirDefinitions } from './definitions.js';

export interface TokenRow {
  readonly param: string;
  readonly system: string | null;
  readonly code: string | null;
}

const tokenParamCache = new Map<string, SearchParameter[]>();

function tokenParams(resourceType: string): SearchParameter[] {
  let params = tokenParamCache.get(resourceType);
  if (!params) {
    params = fhirDefinitions()
      .searchParameters(resourceType)
      .filter((sp) => sp.type === 'token' && sp.expression && !sp.code?.startsWith('_'));
    tokenParamCache.set(resourceType, params);
  }
  return params;
}

/** Every token-type search parameter value of a resource (identifier, code, status, …), ready to index. */
export function extractTokens(resource: Resource): TokenRow[] {
  const rows: TokenRow[] = [];
  const seen = new Set<string>();
  const typed = [toTypedValue(resource)];
  for (const param of tokenParams(resource.resourceType)) {
    const expression = parsedExpression(resource.resourceType, param.expression as string);
    const values = evalFhirPathTyped(expression, typed);
    if (values.length === 0) continue;
    for (const token of convertToSearchableTokens(values)) {
      const system = token.system ?? null;
      const code = token.value ?? null;
      if (code === null && system === null) continue;
      const key = `${param.code}\u0000${system}\u0000${code}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({ param: param.code as string, system, code });
    }
  }
  return rows;
}

/** Whether `code` names a token search parameter of this resource type. */
export function isTokenParam(resourceType: string, code: string): boolean {
  return tokenParams(resourceType).some((sp) => sp.code === code);
}
