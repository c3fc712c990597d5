import type { Perturbation, SourceKind } from './perturb.js';
import type { PopulationOptions } from './population.js';

/**
 * What is true of the generated population, written next to it as `ground-truth.json`: who each source
 * Patient really is, the notifiable cases and the planted outbreak, and which resources are sensitive.
 * The MPI, surveillance and consent are measured against it; it is never loaded into Carnet.
 */

export interface SourceRecordTruth {
  readonly source: SourceKind;
  /** Organisation code (identifier value in the organisation system). */
  readonly organization: string;
  /** `Patient/<id>` as loaded. */
  readonly patient: string;
  /** The record number in the organisation's own system. */
  readonly identifier: { readonly system: string; readonly value: string };
  /** The NAM this source holds (absent when missing; may carry a typo). */
  readonly nam?: string;
  readonly perturbations: readonly Perturbation[];
  /** A second chart of the same person at the same organisation. */
  readonly duplicate?: boolean;
}

export interface GroundTruthPerson {
  readonly key: string;
  readonly nam: string;
  readonly sex: 'female' | 'male';
  readonly genderIdentity?: string;
  readonly birthDate: string;
  readonly deceasedDate?: string;
  readonly name: { readonly given: readonly string[]; readonly family: string; readonly married?: string };
  /** Generation suffix (hard cases). */
  readonly suffix?: 'Jr' | 'Sr';
  /** The person this one must never be merged with: a twin, or a father (hard cases). */
  readonly relative?: { readonly of: string; readonly kind: 'twin' | 'junior' };
  readonly language: 'fr' | 'en';
  /** RSS code of the current address. */
  readonly regionCode: string;
  /** The family doctor's PractitionerRole, by its identifier (its id differs from server to server). */
  readonly familyDoctor?: { readonly system: string; readonly value: string; readonly display: string };
  readonly conditions: readonly string[];
  readonly records: readonly SourceRecordTruth[];
}

export interface NotifiableCaseTruth {
  readonly person: string;
  readonly condition: string;
  readonly onset: string;
  /** ISO week of onset, e.g. 2026-W12. */
  readonly week: string;
  readonly regionCode: string;
  readonly planted: boolean;
  /** Encounter, Condition, Observation… written for the case. */
  readonly resources: readonly string[];
}

export interface OutbreakTruth {
  readonly condition: string;
  readonly regionCode: string;
  readonly weeks: readonly string[];
  readonly from: string;
  readonly to: string;
  readonly plantedCases: number;
  /** Person keys of the planted cases. */
  readonly cases: readonly string[];
  /** Cases of the condition in the region per outbreak week (planted and background). */
  readonly expectedCounts: Readonly<Record<string, number>>;
}

export interface GroundTruth {
  readonly generator: { readonly name: string; readonly version: number };
  readonly options: PopulationOptions;
  readonly persons: readonly GroundTruthPerson[];
  readonly publicHealth: {
    readonly cases: readonly NotifiableCaseTruth[];
    /** condition → RSS code → ISO week → cases. */
    readonly weeklyCounts: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, number>>>>>>;
    readonly outbreaks: readonly OutbreakTruth[];
  };
  /** Sensitive category → `Type/id` of every resource in it. */
  readonly sensitive: Readonly<Record<string, readonly string[]>>;
}
