import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { RESULT_PARAMS } from '../search/parse/request.js';
import { searchRegistry, type ParamDef } from '../search/registry.js';
import { fhirDefinitions } from '../definitions.js';
import type { Handler, Route } from '../router/types.js';
import { CARNET_VERSION } from '../../version.js';
import { TOPICS } from '../../subscriptions/topics.js';
import { RESTFUL_SECURITY_SERVICE } from '../../fhir/code-systems.js';
import { BULK_EXPORT } from '../../research/export/definitions.js';
import { AUDIT_EVENT_PARAMS } from '../operations/audit-event-query.js';

/** The channels a Subscription may use (R4 has no element for them: said in the resource's documentation). */
const SUBSCRIPTION_CHANNELS = 'Channels: rest-hook (https; handshake and heartbeatPeriod per the Subscriptions Backport IG) and websocket '
  + '(Backport websocket binding: $get-ws-binding-token, then "bind-with-token: <token>" on the websocket-url it returns, /ws/subscriptions). '
  + 'Payloads: empty, id-only, full-resource. Creates, updates and deletes are notified.';
/** The Subscriptions R5 Backport IG's way of advertising a server's topics, on its Subscription resource. */
const TOPIC_CANONICAL = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/capabilitystatement-subscriptiontopic-canonical';

type TypeInteraction = NonNullable<CapabilityStatementRestResource['interaction']>[number]['code'];

const PARAM_DOCS: Partial<Record<ParamDef['type'], string>> = {
  string: 'Case-, accent- and punctuation-insensitive prefix match; :exact, :contains, :missing',
  token: 'system|code, |code, system|, code; :not, :text, :of-type, :in, :not-in, :above, :below, :missing',
  reference: 'Type/id, id, absolute URL, canonical url|version; :[type], :identifier, :missing; chaining',
  date: 'Prefixes eq ne gt lt ge le sa eb ap on the implicit range of (partial) dates; :missing',
  number: 'Prefixes eq ne gt lt ge le sa eb ap with implicit precision; :missing',
  quantity: 'number|system|code (UCUM units compared in base units), prefixes; :missing',
  uri: ':below, :above, :missing',
  composite: 'component values separated by $',
  special: 'latitude|longitude|distance|units',
};

/**
 * AuditEvent is the audit trail (IHE RESTful ATNA): read, search (ITI-81's parameters, nothing else) and
 * create (ITI-20), unversioned, never updated or deleted.
 */
function auditEventResource(): CapabilityStatementRestResource {
  const defs = searchRegistry().params('AuditEvent');
  return {
    type: 'AuditEvent',
    profile: 'http://hl7.org/fhir/StructureDefinition/AuditEvent',
    documentation: 'The audit trail (IHE RESTful ATNA): searched and read by privacy officers and systems granted system/AuditEvent.rs; an AuditEvent created by another system (ITI-20) joins the trail and its hash chain; append-only. Newest first, paged with _cursor; comma-separated values OR, repeated parameters AND.',
    interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }],
    versioning: 'no-version', readHistory: false, updateCreate: false, conditionalCreate: false, conditionalUpdate: false, conditionalDelete: 'not-supported',
    searchParam: AUDIT_EVENT_PARAMS.filter((name) => !name.startsWith('_') && !name.includes(':')).map((name) => {
      const def = defs.get(name);
      return { name, ...(def?.url ? { definition: def.url } : {}), type: def?.type ?? 'token' };
    }),
  };
}

function references(type: string): ParamDef[] {
  return [...searchRegistry().params(type).values()].filter((p) => p.type === 'reference');
}

/**
 * GET metadata — generated from the route registry and the search parameters the store indexes, so it
 * states exactly what is implemented. The routes are handed in (the registry imports this module's handler).
 */
export function buildCapabilityStatement(routes: readonly Route[], fhirBaseUrl: string, now: Date): CapabilityStatement {
  const defs = fhirDefinitions();
  const typeRoutes = routes.filter((r) => r.pattern[0] === ':type');
  const typeInteractions = [...new Set(typeRoutes.map((r) => r.interaction).filter((i) => i !== 'operation'))] as TypeInteraction[];
  const operationRoutes = typeRoutes.filter((r) => r.operation);
  const systemInteractions = [...new Set(routes.filter((r) => r.pattern[0] !== ':type').map((r) => r.interaction))]
    .filter((i) => i === 'transaction' || i === 'batch' || i === 'history-system');
  if (routes.some((r) => r.interaction === 'transaction')) systemInteractions.push('batch');
  const has = (code: string) => typeRoutes.some((r) => r.interaction === code);

  const revIncludes = new Map<string, string[]>();
  for (const source of defs.resourceTypes) {
    for (const p of references(source)) {
      for (const target of p.targets.length > 0 ? p.targets : ['*']) {
        const list = revIncludes.get(target) ?? [];
        list.push(`${source}:${p.code}`);
        revIncludes.set(target, list);
      }
    }
  }
  for (const type of defs.resourceTypes) revIncludes.set(type, [...(revIncludes.get(type) ?? []), ...(revIncludes.get('*') ?? [])].sort());

  const resource: CapabilityStatementRestResource[] = [...defs.resourceTypes].sort().map((type) => ({
    ...(type === 'Subscription' ? {
      extension: TOPICS.map((t) => ({ url: TOPIC_CANONICAL, valueCanonical: t.url })),
      documentation: SUBSCRIPTION_CHANNELS,
    } : {}),
    type: type as CapabilityStatementRestResource['type'],
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    interaction: typeInteractions.map((code) => ({ code })),
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'not-supported',
    conditionalUpdate: has('update'),
    conditionalDelete: 'single',
    referencePolicy: ['literal', 'local'],
    searchInclude: ['*', ...references(type).map((p) => `${type}:${p.code}`)],
    searchRevInclude: revIncludes.get(type) ?? [],
    searchParam: [...searchRegistry().params(type).values()].map((p) => ({
      name: p.code,
      ...(p.url ? { definition: p.url } : {}),
      type: p.type,
      documentation: PARAM_DOCS[p.type] ?? '',
    })),
    operation: [
      ...new Map(operationRoutes
        .filter((r) => !r.onlyTypes || r.onlyTypes.includes(type))
        .map((r) => [r.operation, { name: r.operation as string, definition: r.definition ?? `http://hl7.org/fhir/OperationDefinition/Resource-${r.operation}` }])).values(),
      ...operationsOf(routes, type),
    ],
  }));
  const auditAt = resource.findIndex((r) => r.type === 'AuditEvent');
  if (auditAt >= 0) resource[auditAt] = auditEventResource();

  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: now.toISOString(),
    kind: 'instance',
    name: 'Carnet',
    title: 'Carnet FHIR R4 server',
    publisher: 'Carnet',
    software: { name: 'Carnet', version: CARNET_VERSION },
    implementation: { description: 'Carnet shared health record', url: fhirBaseUrl },
    fhirVersion: defs.fhirVersion,
    format: ['application/fhir+json', 'application/json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        documentation: `Every standard R4 search parameter of every type is indexed and searchable, with chaining (any depth), _has, _list, _text and _content. Result parameters: ${[...RESULT_PARAMS].join(', ')}. Compartment search: GET Patient/[id]/[type]. Paging is keyset-based (_cursor).`,
        security: smartSecurity(fhirBaseUrl),
        resource,
        interaction: [...new Set(systemInteractions)].map((code) => ({ code })),
        operation: operationsOf(routes, '$'),
      },
    ],
  };
}

/** Operations the Bulk Data IG's CapabilityStatement declares under another name than the one in the URL (`$export`). */
const DECLARED_NAMES: Readonly<Record<string, string>> = { [BULK_EXPORT.patient]: 'patient-export', [BULK_EXPORT.group]: 'group-export' };

/** Operations routed for one resource type only (`Patient/$match`…), or at the system level (`$`). */
function operationsOf(routes: readonly Route[], type: string): { name: string; definition: string }[] {
  const matching = routes.filter((r) => r.operation && (type === '$' ? r.pattern[0]?.startsWith('$') : r.pattern[0] === type));
  const definitions = new Map(matching.map((r) => [r.operation as string, r.definition]));
  return [...definitions].map(([name, definition]) => ({
    name: (definition && DECLARED_NAMES[definition]) ?? name,
    definition: definition ?? (['match', 'merge'].includes(name) ? `http://hl7.org/fhir/OperationDefinition/Patient-${name}` : `urn:carnet:operation:${name}`),
  }));
}

/** SMART on FHIR: the service and its OAuth endpoints (docs/security.md), next to /.well-known/smart-configuration. */
function smartSecurity(fhirBaseUrl: string): NonNullable<NonNullable<CapabilityStatement['rest']>[number]['security']> {
  const issuer = fhirBaseUrl.replace(/\/fhir$/, '');
  return {
    cors: false,
    service: [{ coding: [{ system: RESTFUL_SECURITY_SERVICE, code: 'SMART-on-FHIR' }] }],
    description: 'OAuth 2.0 bearer tokens (SMART App Launch 2.0 and Backend Services); consents are enforced on every read and search.',
    extension: [{
      url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
      extension: [
        { url: 'authorize', valueUri: `${issuer}/auth/authorize` }, { url: 'token', valueUri: `${issuer}/auth/token` },
        { url: 'revoke', valueUri: `${issuer}/auth/revoke` }, { url: 'introspect', valueUri: `${issuer}/auth/introspect` },
      ],
    }],
  };
}

export const capabilities: Handler = async ({ ctx, routes }) => ({ status: 200, body: buildCapabilityStatement(routes, ctx.fhirBaseUrl, ctx.clock()) });
