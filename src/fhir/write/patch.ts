import jsonpatch from 'fast-json-patch';
import type { Resource } from '@medplum/fhirtypes';
import { errors, FhirError } from '../outcomes.js';

/** Applies an RFC 6902 JSON Patch to a resource (pure); the result must stay the same resource. */
export function applyJsonPatch(current: Resource, patch: unknown): Resource {
  if (!Array.isArray(patch) || patch.length === 0) {
    throw errors.invalid('A JSON Patch must be a non-empty array of operations');
  }
  const validation = jsonpatch.validate(patch as jsonpatch.Operation[], current);
  if (validation) {
    if (validation.name === 'TEST_OPERATION_FAILED') {
      throw new FhirError('patch-failed', `JSON Patch test failed at operation ${validation.index}`);
    }
    throw errors.invalid(`Invalid JSON Patch operation ${validation.index ?? ''}: ${validation.message.split('\n')[0]}`);
  }
  let patched: Resource;
  try {
    patched = jsonpatch.applyPatch(jsonpatch.deepClone(current), patch as jsonpatch.Operation[], true, true).newDocument;
  } catch (error) {
    throw errors.invalid(`JSON Patch could not be applied: ${(error as Error).message.split('\n')[0]}`);
  }
  if (patched?.resourceType !== current.resourceType || patched.id !== current.id) {
    throw new FhirError('patch-failed', 'A patch may not change the resourceType or id');
  }
  return patched;
}
