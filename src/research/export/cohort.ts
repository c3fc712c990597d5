import { errors } from '../../fhir/outcomes.js';
import { parseSearch } from '../../fhir/search/parse/request.js';
import type { SearchPlan } from '../../fhir/search/model.js';
import { patientCompartmentTypes } from './params.js';

/**
 * A Group as a cohort (pure): its listed members (`member.entity`, inactive ones left out), or — when it
 * carries member filters — every patient with, for each filter, a resource in their compartment that the
 * filter's search matches (filters are ANDed). A filter is the Bulk Cohort API's `member-filter`
 * extension: `valueExpression.expression` = `Type?search` (`Condition?code=…`, `Patient?gender=female`).
 */
export const MEMBER_FILTER = 'http://hl7.org/fhir/uv/bulkdata/StructureDefinition/member-filter';

export interface MemberFilter {
  readonly type: string;
  readonly query: string;
}

interface GroupLike {
  readonly member?: readonly { entity?: { reference?: string }; inactive?: boolean }[];
  readonly extension?: readonly { url?: string; valueExpression?: { expression?: string } }[];
}

export function listedMembers(group: GroupLike): string[] {
  return (group.member ?? []).filter((m) => !m.inactive).map((m) => /(?:^|\/)Patient\/([^/]+)$/.exec(m.entity?.reference ?? '')?.[1]).filter((id): id is string => Boolean(id));
}

/** The Group's member filters; throws a FhirError (400) for one that is not `Type?search` of patient data. */
export function memberFilters(group: GroupLike): MemberFilter[] {
  const filters: MemberFilter[] = [];
  for (const ext of group.extension ?? []) {
    if (ext.url !== MEMBER_FILTER) continue;
    const expression = ext.valueExpression?.expression ?? '';
    const m = /^([A-Z][A-Za-z]+)\?(.+)$/.exec(expression);
    if (!m) throw errors.invalid(`Group member-filter "${expression}" must be Type?search`);
    if (!patientCompartmentTypes().has(m[1] as string)) throw errors.invalid(`Group member-filter: ${m[1]} is not patient data`);
    filters.push({ type: m[1] as string, query: m[2] as string });
  }
  return filters;
}

/** Each filter parsed as a search (an unknown parameter is a 400, as for `_typeFilter`). */
export function filterSearches(filters: readonly MemberFilter[], baseUrl: string): { type: string; plan: SearchPlan }[] {
  return filters.map((f) => ({ type: f.type, plan: parseSearch(f.type, new URLSearchParams(f.query), { baseUrl }) }));
}
