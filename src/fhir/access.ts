import { bulkExporter } from '../access/route-policies.js';
import type { FhirContext } from './context.js';
import { errors } from './outcomes.js';
import type { FhirRequest } from './router/types.js';
import type { Visibility } from '../storage/sql/visibility.js';
import type { ExistenceGuard, PlannedWrite, VersionFacts, WriteGuard, WriteOptions } from './write/engine.js';
import { consentFacts } from '../storage/consent-store.js';
import { hasActiveGrant } from '../storage/break-glass-store.js';
import type { Queryable } from '../storage/database.js';
import { readCurrent, type CurrentRow } from '../storage/resource-store.js';
import { isCategory, type Category } from '../consent/categories.js';
import { decideRead, decideType, decideWrite, mayChooseId, NO_CONSENT, type Action, type Decision, type ResourceFacts } from '../access/policy.js';
import type { Principal } from '../access/principal.js';
import { roleClass } from '../access/roles.js';
import { readVisibility } from '../consent/visibility-sql.js';
import type { AuditTrail } from '../audit/trail.js';
import { masksConsents } from '../consent/masking.js';
import { searchesConsentData } from './search/consent-data.js';
import type { SearchPlan } from './search/model.js';

/**
 * The FHIR side of access control: the router and the interactions call these, and these call the pure
 * policy engine (policy.ts) with the facts they load. Nothing else decides access.
 */
export interface RequestAccess {
  /** Undefined when the request carried no access token (only public routes then answer). */
  readonly principal: Principal | undefined;
  /** The client's network address, for the audit trail. */
  readonly address?: string;
}

/**
 * How an `$operation` route declares its access policy. A route without a declaration is refused (403):
 * new routes are protected until they say what they need.
 *   authenticated — any principal (the operation reads no stored data, e.g. $validate);
 *   action        — the type-level decision for `action` on `type` (default: the route's type), then the
 *                   handler applies `request.visibility` or `checkRead` to what it touches;
 *   handler       — the handler decides itself with the policy engine (e.g. the audit log, break-the-glass).
 */
export type OperationAccess =
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'action'; readonly action: Action; readonly type?: string }
  | { readonly kind: 'handler' }
  /** policy — who may call it at all (a function of route-policies.ts), e.g. MPI stewardship. */
  | { readonly kind: 'policy'; readonly check: (principal: Principal) => string | undefined };

interface RouteLike {
  readonly interaction: string;
  readonly access?: OperationAccess;
}

const READ_INTERACTIONS = new Set(['read', 'vread', 'history-instance']);

/** The action and type a route needs, or undefined when entries or the handler decide. */
function routeAction(route: RouteLike, params: Readonly<Record<string, string>>): { action: Action; type: string } | 'any-search' | undefined {
  const type = params.type ?? '';
  switch (route.interaction) {
    case 'read': case 'vread': case 'history-instance': return { action: 'read', type };
    case 'search-type': return { action: 'search', type: params.compartmentType ?? type };
    case 'history-type': return { action: 'search', type };
    case 'history-system': return 'any-search';
    case 'create': return { action: 'create', type };
    case 'update': case 'patch': return { action: 'update', type };
    case 'delete': return { action: 'delete', type };
    default: return undefined;
  }
}

/** Whether a route answers without a token (the CapabilityStatement). */
export function isPublicRoute(route: RouteLike): boolean {
  return route.interaction === 'capabilities';
}

/** The type-level decision for a route; throws 401/403. Returns the visibility searches must apply. */
export function authorizeRoute(access: RequestAccess, route: RouteLike, params: Readonly<Record<string, string>>, now: Date): Visibility | undefined {
  if (isPublicRoute(route)) return undefined;
  const principal = access.principal;
  if (!principal) throw errors.coded('token-required', 'This request needs an access token (Authorization: Bearer …)');
  // A research project's client exports within its project, and does nothing else (docs/research.md).
  if (principal.project && !(route.access?.kind === 'policy' && route.access.check === bulkExporter)) {
    throw errors.coded('outside-project', 'A research project\'s client may only use bulk export ($export)');
  }
  // An interaction may declare its own policy too (AuditEvent's search and read: the trail, not the record).
  if (route.interaction === 'operation' || route.access) {
    const declared = route.access;
    if (!declared) throw errors.forbidden('This operation declares no access policy');
    if (declared.kind === 'action') {
      const decision = decideType(principal, declared.action, declared.type ?? params.type ?? '');
      if (!decision.permit) throw errors.forbidden(decision.reason);
    }
    if (declared.kind === 'policy') {
      const refusal = declared.check(principal);
      if (refusal) throw errors.forbidden(refusal);
    }
    return readVisibility(principal, now, 's');
  }
  const needed = routeAction(route, params);
  if (needed === 'any-search') {
    if (!principal.scopes.resources.some((s) => s.permissions.has('s'))) throw errors.forbidden('no granted scope allows search');
  } else if (needed) {
    const decision = decideType(principal, needed.action, needed.type);
    if (!decision.permit) throw errors.forbidden(decision.reason);
  }
  return readVisibility(principal, now, READ_INTERACTIONS.has(route.interaction) ? 'r' : 's');
}

function sensitivityOf(values: readonly string[] | null | undefined): Category[] {
  return (values ?? []).filter(isCategory);
}

export function factsOfRow(row: CurrentRow): ResourceFacts {
  return { type: row.resourceType, id: row.id, patientId: row.patientId ?? null, authorOrg: row.authorOrg ?? null, sensitivity: sensitivityOf(row.sensitivity) };
}

function factsOfVersion(type: string, id: string, next: VersionFacts): ResourceFacts {
  return { type, id, patientId: next.patientId, authorOrg: next.authorOrg, sensitivity: sensitivityOf(next.sensitivity), privacyConsent: next.privacyConsent };
}

/** Consents and break-the-glass matter only for professionals and non-platform systems on patient data. */
function needsConsent(principal: Principal, facts: ResourceFacts): boolean {
  if (facts.patientId === null) return false;
  const cls = roleClass(principal.role);
  return cls === 'professional' || (cls === 'system' && !principal.platform);
}

async function readDecision(principal: Principal, reader: Queryable, facts: ResourceFacts, now: Date, action: 'read' | 'search'): Promise<Decision> {
  const consent = needsConsent(principal, facts) ? await consentFacts(reader, facts.patientId as string, principal.subject, now) : NO_CONSENT;
  return decideRead(principal, facts, consent, now, action);
}

/** The answer for a resource that does not exist — and, word for word, for one the requester may not know of. */
function absent(type: string, id: string): never {
  throw errors.notFound(`${type}/${id} does not exist`);
}

function refuse(decision: Decision, facts: ResourceFacts): never {
  // A `not-found` denial says nothing of the resource: the same answer as for one that does not exist.
  if (decision.denial === 'forbidden') throw errors.forbidden(decision.reason);
  absent(facts.type, facts.id);
}

/** May the requester see this stored row (read, vread)? Throws 403/404 otherwise; the trail keeps the decision. */
export async function checkRead(request: FhirRequest, ctx: FhirContext, reader: Queryable, row: CurrentRow): Promise<void> {
  const principal = request.access?.principal;
  if (!principal) return;
  const facts = factsOfRow(row);
  const decision = await readDecision(principal, reader, facts, ctx.clock(), 'read');
  request.audit?.entity(`${facts.type}/${facts.id}`, facts.patientId);
  request.audit?.decision(decision.reason, decision.purpose, decision.breakGlass);
  if (!decision.permit) refuse(decision, facts);
}

/**
 * Flags a search whose results include patients the professional holds an active break-the-glass grant
 * for: the rows may have been visible only through it, and the patient must see such accesses flagged.
 */
export async function noteBreakGlass(principal: Principal | undefined, trail: AuditTrail, ctx: FhirContext, reader: Queryable): Promise<void> {
  if (!principal || !trail || trail.breakGlass || trail.patients.size === 0 || roleClass(principal.role) !== 'professional') return;
  if (await hasActiveGrant(reader, principal.subject, [...trail.patients], ctx.clock())) trail.decision('results include a patient under an active break-the-glass grant', 'ETREAT', true);
}

/**
 * Refuses (403) a search, conditional criteria or Subscription criteria that test what Consents name
 * (`Consent?data=`, chained, `_has`) to a requester who sees Consents masked: its answer would be the very
 * list the masking hides. Refused whatever the value, so the refusal says nothing about the data.
 */
export function checkConsentDataSearch(principal: Principal | undefined, plan: SearchPlan): void {
  if (masksConsents(principal) && searchesConsentData(plan)) {
    throw errors.forbidden('Consents are searched by the resources they name only by the patient, their proxy and privacy officers');
  }
}

/** The write engine's options for this request: who writes, their organisation, the access guard, the criteria's visibility. */
export function writeAccess(request: FhirRequest, ctx: FhirContext): Pick<WriteOptions, 'author' | 'guard' | 'existence' | 'principal' | 'criteriaVisibility' | 'criteriaCheck' | 'note'> {
  const principal = request.access?.principal;
  if (!principal) return {};
  // The read decision on each current row, made once before planning and reused by the guard.
  const decided = new WeakMap<CurrentRow, Decision>();
  const guard: WriteGuard = async (tx, writes) => {
    for (const write of writes) await guardOne(request, ctx, principal, tx, write, decided);
  };
  const existence: ExistenceGuard = async (tx, target) => {
    const live = target.current && !target.current.deleted ? target.current : undefined;
    if (live) {
      const facts = factsOfRow(live);
      const decision = await readDecision(principal, tx, facts, ctx.clock(), 'read');
      decided.set(live, decision);
      if (decision.permit || decision.denial !== 'not-found') return 'seen';
      // Hidden: answered as if absent, and the attempt stays in the patient's access log with its reason.
      request.audit?.entity(`${facts.type}/${facts.id}`, facts.patientId);
      request.audit?.decision(`${decision.reason}; answered as absent, nothing written`, decision.purpose, decision.breakGlass);
      if (request.audit) request.audit.concealed = true;
      // Content cannot be written at a taken id as if it were free: refused as an absent id is below.
      if (target.action === 'put') absent(target.resourceType, target.id);
      return 'hidden';
    }
    if (target.clientId && !mayChooseId(principal, target.resourceType)) {
      request.audit?.decision('a client-chosen id for a new resource is for platform clients (policy.ts mayChooseId)');
      absent(target.resourceType, target.id);
    }
    return 'seen';
  };
  return {
    guard, existence, principal, ...(principal.organization ? { author: principal.organization } : {}),
    criteriaCheck: (plan) => checkConsentDataSearch(principal, plan),
    note: (reason: string) => request.audit?.decision(reason),
    // Conditional criteria see what a search would: no "matches more than one" about hidden resources.
    ...(request.visibility ? { criteriaVisibility: request.visibility } : {}),
  };
}

async function guardOne(request: FhirRequest, ctx: FhirContext, principal: Principal, tx: Queryable, write: PlannedWrite, decided: WeakMap<CurrentRow, Decision>): Promise<void> {
  const now = ctx.clock();
  const trail = request.audit;
  const note = (decision: Decision, facts: ResourceFacts) => {
    trail?.entity(`${facts.type}/${facts.id}`, facts.patientId);
    trail?.decision(decision.reason, decision.purpose, decision.breakGlass);
    if (!decision.permit) refuse(decision, facts);
  };
  const current = write.current && !write.current.deleted ? write.current : write.action === 'read' ? await readCurrent(tx, write.resourceType, write.id) : undefined;
  if (current && !current.deleted) note(decided.get(current) ?? await readDecision(principal, tx, factsOfRow(current), now, 'read'), factsOfRow(current));
  if (write.action === 'read') return;
  if (write.action === 'delete') {
    if (current) note(decideWrite(principal, 'delete', factsOfRow(current)), factsOfRow(current));
    return;
  }
  if (!write.next) return;
  const facts = factsOfVersion(write.resourceType, write.id, write.next);
  note(decideWrite(principal, current ? 'update' : 'create', facts), facts);
}
