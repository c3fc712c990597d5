import type { Coding, Resource } from '@medplum/fhirtypes';
import { V3_ACT_CODE, V3_CONFIDENTIALITY } from '../fhir/code-systems.js';

/**
 * Sensitive categories of health information, as HL7 v3 ActCode information-sensitivity codes carried in
 * `meta.security`, with the v3 Confidentiality code `R` (restricted). Carnet labels them at write time;
 * by default only the organisation that wrote such a resource (and the patient) sees it, until the
 * patient opens the category with a Consent.
 */
export const ACT_CODE = V3_ACT_CODE;
export const CONFIDENTIALITY = V3_CONFIDENTIALITY;

export const CATEGORIES = ['MH', 'SEX', 'SUD', 'HIV'] as const;
export type Category = (typeof CATEGORIES)[number];

export const CATEGORY_LABELS: Record<Category, { fr: string; en: string }> = {
  MH: { fr: 'santé mentale', en: 'mental health' },
  SEX: { fr: 'santé sexuelle et reproductive', en: 'sexual and reproductive health' },
  SUD: { fr: 'consommation de substances', en: 'substance use' },
  HIV: { fr: 'VIH', en: 'HIV' },
};

/** ActCode codes that mean one of our categories (narrower or older codes included). */
const ALIASES: Record<string, Category> = {
  MH: 'MH', PSY: 'MH', PSYTHPN: 'MH', BH: 'MH',
  SEX: 'SEX', STD: 'SEX', SEXUAL: 'SEX', PREGNANCY: 'SEX',
  SUD: 'SUD', ETH: 'SUD', ETHUD: 'SUD', OPIOIDUD: 'SUD', ALC: 'SUD', DRGUD: 'SUD',
  HIV: 'HIV',
};

export function categoryOfCode(code: string | undefined): Category | undefined {
  return code ? ALIASES[code] : undefined;
}

export function isCategory(value: string): value is Category {
  return (CATEGORIES as readonly string[]).includes(value);
}

/** The sensitive categories a resource's `meta.security` labels carry, sorted, none when empty. */
export function categoriesOf(resource: Pick<Resource, 'meta'>): Category[] {
  const found = new Set<Category>();
  for (const label of resource.meta?.security ?? []) {
    if (label.system !== ACT_CODE) continue;
    const category = categoryOfCode(label.code);
    if (category) found.add(category);
  }
  return [...found].sort();
}

export function categoryLabel(category: Category): Coding {
  return { system: ACT_CODE, code: category, display: CATEGORY_LABELS[category].en };
}

export const RESTRICTED: Coding = { system: CONFIDENTIALITY, code: 'R', display: 'restricted' };
