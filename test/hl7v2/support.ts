import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource } from '@medplum/fhirtypes';
import { localRefs, NO_CODE_MAPS, type CodeMaps, type MappingContext } from '../../src/hl7v2/mapping/context.js';
import { baseProfile, resolveProfile, type SendersFile } from '../../src/hl7v2/mapping/profile.js';
import { mappingFor } from '../../src/hl7v2/mapping/registry.js';
import type { MappedMessage } from '../../src/hl7v2/mapping/types.js';
import { readEnvelope, type ParsedMessage } from '../../src/hl7v2/message/envelope.js';
import type { Hl7Problem } from '../../src/hl7v2/message/problems.js';

/** Shared helpers of the HL7 v2 tests: fixtures (copied from the shared samples, see PROVENANCE.md) and pure mapping. */

const here = dirname(fileURLToPath(import.meta.url));
// Compiled tests live in dist/test/hl7v2; fixtures stay in the source tree.
export const FIXTURES = resolve(here, '..', '..', '..', 'test', 'fixtures', 'hl7v2');

export function fixture(path: string): Buffer {
  return readFileSync(resolve(FIXTURES, path));
}

/** A message as text with \r segment separators, from lines. */
export function message(...segments: string[]): Buffer {
  return Buffer.from(segments.join('\r') + '\r', 'utf8');
}

export function parse(bytes: Buffer): ParsedMessage {
  const result = readEnvelope(bytes, { processingIds: new Set(['P', 'T', 'D']) });
  if (!result.ok) throw result.problem;
  return result.parsed;
}

export interface MappingRun {
  readonly mapped: MappedMessage;
  readonly warnings: Hl7Problem[];
  readonly resources: Resource[];
  of<T extends Resource>(type: T['resourceType']): T[];
}

export function map(bytes: Buffer, options: { senders?: SendersFile; codeMaps?: CodeMaps } = {}): MappingRun {
  const parsed = parse(bytes);
  const { messageType, event, sender } = parsed.envelope;
  const mapping = mappingFor(messageType, event);
  if (!mapping) throw new Error(`no mapping for ${messageType}^${event}`);
  const ctx: MappingContext = {
    sender,
    profile: options.senders ? resolveProfile(options.senders, sender, 'America/Toronto') : baseProfile('America/Toronto'),
    codeMaps: options.codeMaps ?? NO_CODE_MAPS,
    warnings: [],
    newRef: localRefs(),
  };
  const mapped = mapping.map(parsed, ctx);
  const resources = [...mapped.patients.map((p) => p.resource as Resource), ...mapped.resources.map((r) => r.resource)];
  return {
    mapped,
    warnings: ctx.warnings,
    resources,
    of: <T extends Resource>(type: T['resourceType']) => resources.filter((r): r is T => r.resourceType === type),
  };
}

/** Runs `fn`, expecting an Hl7Problem; returns it. */
export function problemOf(fn: () => unknown): Hl7Problem {
  try {
    fn();
  } catch (error) {
    if ((error as Hl7Problem).name === 'Hl7Problem') return error as Hl7Problem;
    throw error;
  }
  throw new Error('expected an HL7 problem');
}
