import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { RESULT_PARAMS } from '../criteria.js';
import { fhirDefinitions } from '../definitions.js';
import { ROUTES } from '../router/routes.js';
import type { Handler } from '../router/types.js';
import { CARNET_VERSION } from '../../version.js';

type TypeInteraction = NonNullable<CapabilityStatementRestResource['interaction']>[number]['code'];

/**
 * GET metadata — generated from the route registry and the search parameters the store indexes, so it
 * states exactly what is implemented.
 */
export function buildCapabilityStatement(fhirBaseUrl: string, now: Date): CapabilityStatement {
  const defs = fhirDefinitions();
  const typeRoutes = ROUTES.filter((r) => r.pattern[0] === ':type');
  const typeInteractions = [...new Set(typeRoutes.map((r) => r.interaction).filter((i) => i !== 'operation'))] as TypeInteraction[];
  const typeOperations = [...new Set(typeRoutes.map((r) => r.operation).filter((o): o is string => Boolean(o)))];
  const systemInteractions = [...new Set(ROUTES.filter((r) => r.pattern[0] !== ':type').map((r) => r.interaction))]
    .filter((i) => i === 'transaction' || i === 'batch' || i === 'history-system');
  if (ROUTES.some((r) => r.interaction === 'transaction')) systemInteractions.push('batch');
  const has = (code: string) => typeRoutes.some((r) => r.interaction === code);

  const resource: CapabilityStatementRestResource[] = [...defs.resourceTypes].sort().map((type) => ({
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
    searchParam: [
      { name: '_id', type: 'token', documentation: 'Logical id; comma-separated values are ORed' },
      ...defs.searchParameters(type)
        .filter((sp) => sp.type === 'token' && sp.code && !sp.code.startsWith('_'))
        .map((sp) => ({ name: sp.code as string, definition: sp.url as string, type: 'token' as const })),
    ],
    operation: [
      ...typeOperations.map((name) => ({ name, definition: `http://hl7.org/fhir/OperationDefinition/Resource-${name}` })),
      ...operationsOf(type),
    ],
  }));

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
        documentation: `Result parameters: ${[...RESULT_PARAMS].join(', ')}. Search supports _id and every token parameter.`,
        resource,
        interaction: [...new Set(systemInteractions)].map((code) => ({ code })),
        operation: operationsOf('$'),
      },
    ],
  };
}

/** Operations routed for one resource type only (`Patient/$match`…), or at the system level (`$`). */
function operationsOf(type: string): { name: string; definition: string }[] {
  const names = ROUTES.filter((r) => r.operation && (type === '$' ? r.pattern[0]?.startsWith('$') : r.pattern[0] === type))
    .map((r) => r.operation as string);
  return [...new Set(names)].map((name) => ({
    name,
    definition: ['match', 'merge'].includes(name) ? `http://hl7.org/fhir/OperationDefinition/Patient-${name}` : `urn:carnet:operation:${name}`,
  }));
}

export const capabilities: Handler = async ({ ctx }) => ({ status: 200, body: buildCapabilityStatement(ctx.fhirBaseUrl, ctx.clock()) });
