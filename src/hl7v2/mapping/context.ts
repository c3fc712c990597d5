import type { Coding } from '@medplum/fhirtypes';
import type { Sender } from '../message/envelope.js';
import type { Hl7Problem } from '../message/problems.js';
import type { SenderProfile } from './profile.js';
import { HL7V2_URN_BASE } from '../../fhir/code-systems.js';

/** Local code → standard code lookups for one sender (its ConceptMaps), already loaded. */
export interface CodeMaps {
  /** The target codings for a local code (e.g. LOINC for an OBX-3 code), or none. */
  translate(system: string, code: string): readonly Coding[];
}

export const NO_CODE_MAPS: CodeMaps = { translate: () => [] };

/** Everything a pure mapper needs besides the message: who sent it, how to read that sender, and where to note warnings. */
export interface MappingContext {
  readonly sender: Sender;
  readonly profile: SenderProfile;
  readonly codeMaps: CodeMaps;
  /** Problems that do not stop the message (ERR severity W in the ACK). */
  readonly warnings: Hl7Problem[];
  /** A fresh local reference (`urn:uuid:…`) for a resource this message creates; deterministic per message. */
  newRef(): string;
}

/** Namespace of the URNs this gateway coins (documented in docs/hl7v2.md). */
export const URN_BASE = HL7V2_URN_BASE;

export function localRefs(): () => string {
  let n = 0;
  return () => `urn:uuid:00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`;
}
