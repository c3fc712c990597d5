import jsonpatch from 'fast-json-patch';
import type { Resource } from '@medplum/fhirtypes';
import { errors, FhirError } from '../outcomes.js';
import { forgetNumbers, writtenNumbers, type WrittenNumbers } from '../written-numbers.js';

/** Applies an RFC 6902 JSON Patch to a resource (pure); the result must stay the same resource. */
export function applyJsonPatch(current: Resource, patch: unknown): Resource {
  if (!Array.isArray(patch) || patch.length === 0) {
    throw errors.invalid('A JSON Patch must be a non-empty array of operations');
  }
  patch.forEach((operation: unknown, index) => {
    for (const pointer of pointersOf(operation)) {
      if (pointer.split('/').some((segment) => FORBIDDEN_SEGMENTS.has(segment))) {
        throw errors.invalid(`JSON Patch operation ${index}: "${pointer}" is not an element of a FHIR resource`);
      }
    }
  });
  let validation: ReturnType<typeof jsonpatch.validate>;
  try {
    validation = jsonpatch.validate(patch as jsonpatch.Operation[], current);
  } catch (error) {
    // The library throws plain errors for some operations it cannot apply (a move into its own child).
    throw errors.invalid(`Invalid JSON Patch: ${(error as Error).message.split('\n')[0]}`);
  }
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

/**
 * Pointer segments that are no FHIR element and would reach the prototype chain: refused before the
 * library sees them (it throws on some of them, which was a 500).
 */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

function pointersOf(operation: unknown): string[] {
  if (typeof operation !== 'object' || operation === null) return [];
  const { path, from } = operation as { path?: unknown; from?: unknown };
  return [path, from].filter((p): p is string => typeof p === 'string');
}

/**
 * The decimals as written of a patched resource (fhir/written-numbers.ts): the stored ones where the patch
 * left them, and those of each added or replaced value at its path. A value appended with `-` is written
 * as the parsed number.
 */
export function patchedNumbers(before: WrittenNumbers | undefined, patch: unknown): WrittenNumbers | undefined {
  if (!Array.isArray(patch)) return before;
  const out = new Map(before ?? []);
  for (const operation of patch as unknown[]) {
    if (typeof operation !== 'object' || operation === null) continue;
    const { op, path, from } = operation as { op?: unknown; path?: unknown; from?: unknown };
    if (typeof path !== 'string') continue;
    if (op === 'remove' || op === 'replace' || op === 'add' || op === 'move' || op === 'copy') forgetNumbers(out, path);
    if (op === 'move' && typeof from === 'string') forgetNumbers(out, from);
    if ((op === 'add' || op === 'replace') && !path.endsWith('/-')) {
      // The operation's own numbers are below `/value` of the operation object.
      const ofOperation = writtenNumbers(operation);
      for (const [at, raw] of ofOperation ?? []) {
        if (at === '/value' || at.startsWith('/value/')) out.set(path + at.slice('/value'.length), raw);
      }
    }
  }
  return out.size > 0 ? out : undefined;
}
