import type { MatchModel } from './model.js';

/**
 * The default model for Québec patient records. m values reflect how often a field of the same person
 * differs between two source systems (typos, married names, moves); u values how often two different
 * persons agree by chance in a population of millions. Both were set from EM estimates on the FEBRL and
 * splink benchmark sets, then rounded towards caution (see docs/mpi.md). Estimating from a deployment's
 * own data (`estimateU` + `expectationMaximisation`) is better once it holds a few thousand records.
 *
 * Thresholds in bits (log2 likelihood ratio): 2^upper = how many times likelier a match than not before
 * the prior. The upper threshold is set for automatic-link precision, not for F1.
 */
export const DEFAULT_MODEL: MatchModel = {
  fields: [
    { field: 'given', m: [0.8, 0.1, 0.04, 0.03, 0.03], u: [0.004, 0.003, 0.002, 0.02, 0.971] },
    { field: 'family', m: [0.85, 0.05, 0.04, 0.03, 0.03], u: [0.001, 0.0005, 0.0005, 0.01, 0.988] },
    { field: 'suffix', m: [0.97, 0.03], u: [0.6, 0.4] },
    { field: 'birthDate', m: [0.88, 0.06, 0.02, 0.02, 0.02], u: [0.00005, 0.0004, 0.00005, 0.02, 0.9795] },
    { field: 'sex', m: [0.995, 0.005], u: [0.5, 0.5] },
    { field: 'nam', m: [0.94, 0.04, 0.02], u: [0.0000001, 0.000001, 0.9999989] },
    { field: 'postalCode', m: [0.7, 0.1, 0.2], u: [0.0005, 0.01, 0.9895] },
    { field: 'phone', m: [0.7, 0.05, 0.25], u: [0.00001, 0.0001, 0.99989] },
    { field: 'city', m: [0.85, 0.05, 0.1], u: [0.02, 0.01, 0.97] },
    { field: 'street', m: [0.7, 0.1, 0.05, 0.15], u: [0.0002, 0.0005, 0.005, 0.9943] },
    { field: 'email', m: [0.8, 0.08, 0.04, 0.08], u: [0.00001, 0.0001, 0.001, 0.99889] },
  ],
  upper: 20,
  lower: 12,
  transpositionPenalty: 2,
  householdCap: 16,
  namConflictMargin: 8,
  twinPenalty: 24,
  prior: 1e-4,
};

/** Most records a single blocking key may bring as candidates (a key shared by more is too common to help). */
export const DEFAULT_BLOCK_CAP = 200;

/**
 * Most candidate records scored for one match: those sharing the most blocking keys with it. A true
 * duplicate shares several keys (NAM, names, date, phone…); a namesake shares one or two.
 */
export const DEFAULT_MAX_CANDIDATES = 100;
