import type { Parameters, Resource } from '@medplum/fhirtypes';
import { readCurrent } from '../../storage/resource-store.js';
import { errors, informational, outcome } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { validationIssues } from '../validation.js';
import { bodyResource } from './respond.js';
import { checkRead } from '../access.js';

/**
 * POST [type]/$validate and [type]/[id]/$validate — validates without storing. Answers 200 with an
 * OperationOutcome listing every issue (an empty list of errors means valid), as the R4 operation defines.
 */
export const validate: Handler = async ({ request, ctx, reader, params }) => {
  const type = params.type as string;
  let resource = bodyResource(request);
  let mode: string | undefined;
  if (resource.resourceType === 'Parameters') {
    const p = resource as Parameters;
    const inner = p.parameter?.find((x) => x.name === 'resource')?.resource;
    mode = p.parameter?.find((x) => x.name === 'mode')?.valueCode;
    if (!inner && mode !== 'delete') throw errors.invalid('$validate Parameters need a "resource" parameter');
    if (inner) resource = inner as Resource;
  }
  if (mode === 'delete') {
    const row = params.id ? await readCurrent(reader, type, params.id) : undefined;
    if (!row || row.deleted) throw errors.notFound(`${type}/${params.id ?? ''} does not exist`);
    await checkRead(request, ctx, reader, row);
    return { status: 200, body: informational(`${type}/${params.id} may be deleted`) };
  }
  if (resource.resourceType !== type) throw errors.invalid(`The resource is a ${resource.resourceType}, not a ${type}`);
  if (params.id && resource.id !== params.id) throw errors.invalid(`The resource's id must be "${params.id}"`);
  const issues = validationIssues(resource);
  return { status: 200, body: issues.length > 0 ? outcome(issues) : informational(`${type} is valid`) };
};
