import type { CodeableConcept, Encounter } from '@medplum/fhirtypes';
import type { Org } from '../directory.js';
import { coding, concept, reference, type Ref } from '../fhir.js';
import { SNOMED, V3_ACT_CODE } from '../systems.js';
import { ENCOUNTER_TYPES } from '../tables/care.js';
import type { SensitiveCategory } from '../tables/conditions.js';
import type { ClinicalContext } from './context.js';

/** Encounters (pure): one builder for the clinic, emergency, inpatient and consultation visits. */

const CLASSES = { AMB: 'ambulatory', EMER: 'emergency', IMP: 'inpatient encounter' } as const;

/** A kind of encounter (or of appointment) as a CodeableConcept. */
export function encounterType(key: keyof typeof ENCOUNTER_TYPES): CodeableConcept {
  const [code, display, fr] = ENCOUNTER_TYPES[key];
  return concept([coding(SNOMED, code, display)], fr);
}

export interface EncounterFields {
  readonly class: keyof typeof CLASSES;
  readonly type: CodeableConcept;
  readonly patient: Ref;
  readonly by: Ref;
  readonly start: string;
  readonly end: string;
  readonly org: Org;
  /** Other elements (reasonCode, appointment, hospitalization…). */
  readonly more?: Partial<Encounter>;
}

export function addEncounter(ctx: ClinicalContext, f: EncounterFields, sensitive?: SensitiveCategory): Ref {
  const encounter = ctx.record.add<Encounter>({
    resourceType: 'Encounter',
    status: 'finished',
    class: coding(V3_ACT_CODE, f.class, CLASSES[f.class]),
    type: [f.type],
    subject: f.patient,
    participant: [{ individual: f.by }],
    period: { start: f.start, end: f.end },
    ...f.more,
    serviceProvider: reference('Organization', f.org.id, f.org.name),
  }, sensitive);
  return reference('Encounter', encounter.id);
}
