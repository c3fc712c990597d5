import { DEFAULT_BLOCK_CAP, DEFAULT_MAX_CANDIDATES, DEFAULT_MODEL } from '../defaults.js';
import { ENTERPRISE_ID_SYSTEM } from '../enterprise-id.js';
import { compileModel, type CompiledModel, type MatchModel } from '../model.js';
import { DEFAULT_IDENTIFIER_RULES, type IdentifierRules } from '../record.js';
import { DEFAULT_SURVIVORSHIP, type SurvivorshipRules } from '../survivorship.js';

/** Everything the MPI service can be configured with; see docs/mpi.md for the defaults and why. */
export interface MpiConfig {
  readonly model: MatchModel;
  /** Most records one blocking key may contribute as candidates. */
  readonly blockCap: number;
  /** Most candidate records scored per match (those sharing the most blocking keys). */
  readonly maxCandidates: number;
  readonly identifierRules: IdentifierRules;
  readonly survivorship: SurvivorshipRules;
  /** A second record from the same source system never links automatically (it is a merge question). */
  readonly sameSourceGuard: boolean;
  /** A missing given name, family name or date of birth blocks automatic links (see decision.ts). */
  readonly keyFieldGuard: boolean;
  /** Most review candidates queued for one record. */
  readonly maxReview: number;
  /** The system of the enterprise person identifier carried by every Person. */
  readonly enterpriseIdSystem: string;
  /** The actor recorded for automatic decisions. */
  readonly systemActor: string;
}

export const DEFAULT_MPI_CONFIG: MpiConfig = {
  model: DEFAULT_MODEL,
  blockCap: DEFAULT_BLOCK_CAP,
  maxCandidates: DEFAULT_MAX_CANDIDATES,
  identifierRules: DEFAULT_IDENTIFIER_RULES,
  survivorship: DEFAULT_SURVIVORSHIP,
  sameSourceGuard: true,
  keyFieldGuard: true,
  maxReview: 5,
  enterpriseIdSystem: ENTERPRISE_ID_SYSTEM,
  systemActor: 'carnet-mpi',
};

const compiled = new WeakMap<MatchModel, CompiledModel>();

/** The model's precomputed weights, computed once per model object. */
export function compiledModel(config: MpiConfig): CompiledModel {
  let c = compiled.get(config.model);
  if (!c) {
    c = compileModel(config.model);
    compiled.set(config.model, c);
  }
  return c;
}
