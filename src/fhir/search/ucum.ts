import { createRequire } from 'node:module';
import { analyteMolarMass } from './analytes.js';
import { UCUM } from '../../fhir/code-systems.js';

/**
 * UCUM canonical forms for quantity search (pure once loaded). A quantity is reduced to base units with
 * @lhncbc/ucum-lhc, so that 5.4 mmol/L and 97 mg/dL land on comparable numbers: values of the same dimension
 * compare directly, and mass and substance concentrations of an analyte whose molar mass is known
 * (glucose, cholesterol…) are converted into each other.
 */
export const UCUM_SYSTEM = UCUM;

interface UcumUnit {
  readonly moleExp_: number;
}
interface UcumUtils {
  convertToBaseUnits(unit: string, value: number): { status: string; magnitude?: number; unitToExp?: Record<string, number> };
  getSpecifiedUnit(unit: string, mode: string): { status?: string; unit?: UcumUnit | null };
}

const require = createRequire(import.meta.url);
let utils: UcumUtils | undefined;
function ucum(): UcumUtils {
  utils ??= (require('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } }).UcumLhcUtils.getInstance();
  return utils;
}

const AVOGADRO = 6.0221367e23; // the constant ucum-lhc uses for mol

export interface Canonical {
  /** Base-unit dimension, e.g. `g.m-3`, `mol.m-3`, `K`, `` (dimensionless). */
  readonly code: string;
  /** Multiply a value in the original unit by this to get the canonical value (affine units excepted). */
  readonly factor: number;
  /** Offset-based units (°C, °F) are not linear: convert each value on its own. */
  readonly special: boolean;
  readonly unit: string;
}

const cache = new Map<string, Canonical | null>();

/** The canonical form of a UCUM unit code, or undefined when it is not valid UCUM. */
export function canonicalUnit(unit: string): Canonical | undefined {
  let found = cache.get(unit);
  if (found === undefined) {
    found = computeCanonical(unit) ?? null;
    cache.set(unit, found);
  }
  return found ?? undefined;
}

function computeCanonical(unit: string): Canonical | undefined {
  try {
    const base = ucum().convertToBaseUnits(unit, 1);
    if (base.status !== 'succeeded' || base.magnitude === undefined || !base.unitToExp) return undefined;
    const moleExp = ucum().getSpecifiedUnit(unit, 'validate').unit?.moleExp_ ?? 0;
    const dims = Object.entries(base.unitToExp).filter(([, e]) => e !== 0).sort(([a], [b]) => (a < b ? -1 : 1));
    if (moleExp !== 0) dims.unshift(['mol', moleExp]);
    const code = dims.map(([u, e]) => (e === 1 ? u : `${u}${e}`)).join('.');
    const factor = moleExp !== 0 ? base.magnitude / AVOGADRO ** moleExp : base.magnitude;
    const special = ucum().convertToBaseUnits(unit, 2).magnitude !== 2 * base.magnitude;
    return { code, factor, special, unit };
  } catch {
    return undefined;
  }
}

/** A value in canonical units (undefined when the unit is not UCUM). */
export function toCanonical(value: number, unit: string): { code: string; value: number } | undefined {
  const canonical = canonicalUnit(unit);
  if (!canonical) return undefined;
  if (!canonical.special) return { code: canonical.code, value: value * canonical.factor };
  const converted = ucum().convertToBaseUnits(unit, value);
  return converted.status === 'succeeded' && converted.magnitude !== undefined ? { code: canonical.code, value: converted.magnitude } : undefined;
}

const MASS_CONCENTRATION = 'g.m-3';
const SUBSTANCE_CONCENTRATION = 'mol.m-3';

/**
 * The same concentration in the other dimension (mass ↔ substance) for an analyte of known molar mass,
 * identified by the codes of the observation carrying it.
 */
export function alternateConcentration(
  canonical: { code: string; value: number },
  codes: readonly { system?: string; code?: string }[],
): { code: string; value: number } | undefined {
  if (canonical.code !== MASS_CONCENTRATION && canonical.code !== SUBSTANCE_CONCENTRATION) return undefined;
  const molarMass = analyteMolarMass(codes);
  if (molarMass === undefined) return undefined;
  return canonical.code === MASS_CONCENTRATION
    ? { code: SUBSTANCE_CONCENTRATION, value: canonical.value / molarMass }
    : { code: MASS_CONCENTRATION, value: canonical.value * molarMass };
}
