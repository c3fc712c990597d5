import type { OperationOutcomeIssue, Parameters, Resource } from '@medplum/fhirtypes';
import { readCurrent } from '../../storage/resource-store.js';
import { errors, informational, outcome } from '../outcomes.js';
import type { Handler, HandlerInput } from '../router/types.js';
import { bodyTextOf } from '../validation/off-loop.js';
import { validationIssues } from '../validation.js';
import { bodyResource } from './respond.js';
import { checkRead } from '../access.js';

/**
 * POST $validate, [type]/$validate and [type]/[id]/$validate — validates without storing. Answers 200 with
 * an OperationOutcome listing every issue (an empty list of errors means valid), as the R4 operation defines.
 */
export const validate: Handler = async ({ request, ctx, reader, params }) => {
  let resource = bodyResource(request);
  let mode: string | undefined;
  // A Parameters body is the operation's input, unless Parameters is what is being validated (its URL says
  // so, or at the system level it carries no `resource` or `mode` parameter).
  const p = resource.resourceType === 'Parameters' ? (resource as Parameters) : undefined;
  const isInput = p !== undefined && (params.type !== undefined ? params.type !== 'Parameters' : p.parameter?.some((x) => x.name === 'resource' || x.name === 'mode') === true);
  if (p && isInput) {
    const inner = p.parameter?.find((x) => x.name === 'resource')?.resource;
    mode = p.parameter?.find((x) => x.name === 'mode')?.valueCode;
    if (!inner && mode !== 'delete') throw errors.invalid('$validate Parameters need a "resource" parameter');
    if (inner) resource = inner as Resource;
  }
  // At the system level the resource names its type (a delete needs a type and id, so it is type-level only).
  const type = params.type ?? resource.resourceType;
  if (mode === 'delete') {
    const row = params.id ? await readCurrent(reader, type, params.id) : undefined;
    if (!row || row.deleted) throw errors.notFound(`${type}/${params.id ?? ''} does not exist`);
    await checkRead(request, ctx, reader, row);
    return { status: 200, body: informational(`${type}/${params.id} may be deleted`) };
  }
  if (resource.resourceType !== type) throw errors.invalid(`The resource is a ${resource.resourceType}, not a ${type}`);
  if (params.id && resource.id !== params.id) throw errors.invalid(`The resource's id must be "${params.id}"`);
  const issues = await issuesOf(ctx, request.body, resource);
  return { status: 200, body: issues.length > 0 ? outcome(issues) : informational(`${type} is valid`) };
};

/** The issues of the resource, found off the event loop when the body is large (validation/off-loop.ts). */
async function issuesOf(ctx: HandlerInput['ctx'], body: unknown, resource: Resource): Promise<OperationOutcomeIssue[]> {
  const text = bodyTextOf(body);
  if (!ctx.validation || text === undefined) return validationIssues(resource);
  const k = resource === body ? -1 : ((body as Parameters).parameter ?? []).findIndex((x) => x.resource === resource);
  if (resource !== body && k < 0) return validationIssues(resource);
  const [issues] = await ctx.validation.validate(text, [k < 0 ? [] : ['parameter', k, 'resource']]);
  return issues ?? [];
}
