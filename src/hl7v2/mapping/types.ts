import type { Identifier, Patient, Resource } from '@medplum/fhirtypes';
import type { Hl7Location } from '../message/problems.js';
import type { CarriedDocument } from './cda.js';

/** What a pure mapper makes of a message: resources to write, with how each is matched. */

/**
 * - `upsert`: conditional update by identifier (a corrected result or an updated order becomes a new version);
 * - `create-if-absent`: conditional create by identifier (referenced data that another feed owns);
 * - `create`: always a new resource (the Provenance of this message).
 */
export type WriteMode = 'upsert' | 'create-if-absent' | 'create';

export interface PlannedResource {
  /** Local reference (`urn:uuid:…`) other planned resources use to point at this one. */
  readonly ref: string;
  readonly resource: Resource;
  readonly mode: WriteMode;
  /** The identifier that finds this resource again (required for upsert and create-if-absent). */
  readonly identifier?: Identifier;
  /** The segment it was mapped from, for errors. */
  readonly source: Hl7Location;
}

export interface PatientPlan {
  readonly ref: string;
  /** The Patient as this message describes it (PID). */
  readonly resource: Patient;
  /** The identifier that finds the patient (PID-3, of the sender's preferred type). */
  readonly identifier: Identifier;
  /** ADT messages own demographics (`upsert`); results, orders and documents only refer to the patient. */
  readonly mode: 'upsert' | 'reference';
  readonly source: Hl7Location;
}

/** ADT^A40: the patient known by `merged` is the same person as the surviving patient `survivorRef`. */
export interface MergePlan {
  readonly survivorRef: string;
  readonly merged: readonly Identifier[];
  readonly source: Hl7Location;
}

export interface MappedMessage {
  readonly patients: readonly PatientPlan[];
  readonly resources: readonly PlannedResource[];
  readonly merges: readonly MergePlan[];
  /** CDA documents carried in ED values: imported like `$import-ccda` (C-CDA → FHIR) in the message's transaction. */
  readonly documents?: readonly CarriedDocument[];
}

/** The key that orders processing per patient: `system|value` of each identifier involved. */
export function patientKeys(mapped: MappedMessage): string[] {
  const keys = new Set<string>();
  for (const p of mapped.patients) keys.add(`${p.identifier.system}|${p.identifier.value}`);
  for (const m of mapped.merges) for (const id of m.merged) keys.add(`${id.system}|${id.value}`);
  return [...keys].sort();
}
