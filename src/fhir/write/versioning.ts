import type { Resource } from '@medplum/fhirtypes';
import { errors } from '../outcomes.js';
import { parseJsonNumbers, stringifyJson, writtenNumbers, type WrittenNumbers } from '../written-numbers.js';

/** Pure rules for versions: stamping meta, comparing content, checking If-Match. */

/** The resource as stored: server-assigned id and meta.versionId/lastUpdated, keys in a readable order. */
export function stamp(resource: Resource, id: string, versionId: number, lastUpdated: string): Resource {
  const { resourceType, id: _ignored, meta, ...rest } = resource as Resource & Record<string, unknown>;
  return {
    resourceType,
    id,
    meta: { ...(meta ?? {}), versionId: String(versionId), lastUpdated },
    ...rest,
  } as Resource;
}

/**
 * True when two resources differ only in server-managed meta (versionId, lastUpdated). Decimals compare as
 * written (`written`: the candidate's, fhir/written-numbers.ts): 1.50 is a change from 1.5.
 */
export function sameContent(stored: string, candidate: Resource, written?: WrittenNumbers): boolean {
  const strip = (r: Record<string, unknown>) => {
    const { meta, ...rest } = r as { meta?: Record<string, unknown> };
    const { versionId: _v, lastUpdated: _l, ...otherMeta } = meta ?? {};
    return Object.keys(otherMeta).length > 0 ? { ...rest, meta: otherMeta } : rest;
  };
  const before = parseJsonNumbers(stored) as Record<string, unknown>;
  return canonical(strip(before), writtenNumbers(before)) === canonical(strip(candidate as unknown as Record<string, unknown>), written);
}

const sortedKeys = (v: unknown): unknown =>
  v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : v;

function canonical(value: unknown, written: WrittenNumbers | undefined): string {
  return stringifyJson(value, written, sortedKeys);
}

/** Parses an ETag / If-Match value (`W/"3"`, `"3"` or `3`) into a version number. */
export function parseVersionTag(tag: string): number {
  const match = /^(?:W\/)?"?([0-9]+)"?$/.exec(tag.trim());
  if (!match) throw errors.invalid(`If-Match "${tag}" is not a version ETag such as W/"3"`);
  return Number(match[1]);
}

export function etag(versionId: number | string): string {
  return `W/"${versionId}"`;
}

export function checkIfMatch(ifMatch: string | undefined, current: { versionId: number; deleted: boolean } | undefined, label: string): void {
  if (ifMatch === undefined) return;
  const wanted = parseVersionTag(ifMatch);
  if (!current || current.deleted) throw errors.preconditionFailed(`If-Match ${ifMatch}: ${label} has no current version`);
  if (current.versionId !== wanted) {
    throw errors.coded('version-conflict', `If-Match ${ifMatch} is stale: ${label} is at version ${current.versionId}`);
  }
}

const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

export function assertValidId(id: string): void {
  if (!ID_PATTERN.test(id)) throw errors.invalid(`"${id}" is not a valid FHIR id ([A-Za-z0-9-.]{1,64})`);
}
