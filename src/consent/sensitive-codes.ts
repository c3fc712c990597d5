import type { Category } from './categories.js';
import { ATC, ICD10, ICD10CA, ICD10CA_SID, ICD10CM, ICD10CM_OID, ICD10PCS, ICD9CM_OID, LOINC, SNOMED } from '../fhir/code-systems.js';

/**
 * The concepts that make a resource sensitive, by code system. Kept small and explicit: a source that
 * knows better labels its resources itself (`meta.security`), and Carnet keeps those labels.
 * Sources of the lists: ICD-10 chapters (F, B20–B24, A50–A64, O), HL7 v3 ActCode sensitivity
 * definitions, LOINC panels of screening instruments (PHQ, GAD-7, AUDIT-C, DAST-10), ATC groups.
 */
const ICD10_SYSTEMS = [
  ICD10, ICD10CM, ICD10CA_SID,
  ICD10PCS, ICD9CM_OID, ICD10CM_OID,
  // ICD-10-CA as Canada Health Infoway's terminology server names it (what Québec sources send).
  ICD10CA,
];
export { SNOMED };
export { LOINC };

/** ICD-10 code prefixes (dots ignored), longest match wins. */
const ICD10_PREFIXES: readonly [string, Category][] = [
  ['F1', 'SUD'], ['F0', 'MH'], ['F2', 'MH'], ['F3', 'MH'], ['F4', 'MH'], ['F5', 'MH'], ['F6', 'MH'], ['F7', 'MH'], ['F8', 'MH'], ['F9', 'MH'],
  ['X6', 'MH'], ['X7', 'MH'], ['X80', 'MH'], ['X81', 'MH'], ['X82', 'MH'], ['X83', 'MH'], ['X84', 'MH'],
  ['B20', 'HIV'], ['B21', 'HIV'], ['B22', 'HIV'], ['B23', 'HIV'], ['B24', 'HIV'], ['Z21', 'HIV'], ['R75', 'HIV'], ['Z717', 'HIV'],
  ['A5', 'SEX'], ['A60', 'SEX'], ['A63', 'SEX'], ['A64', 'SEX'], ['O', 'SEX'], ['Z3', 'SEX'], ['N96', 'SEX'], ['N97', 'SEX'],
  ['Z714', 'SUD'], ['Z715', 'SUD'],
];

const SNOMED_CODES: Readonly<Record<string, Category>> = {
  // mental health
  '35489007': 'MH', '370143000': 'MH', '36923009': 'MH', '197480006': 'MH', '58214004': 'MH', '13746004': 'MH',
  '47505003': 'MH', '231504006': 'MH', '69322001': 'MH', '74732009': 'MH', '171207006': 'MH', '304891004': 'MH',
  '21897009': 'MH', // generalized anxiety disorder
  // psychiatry as a practice setting or specialty (DocumentReference.context.practiceSetting, PractitionerRole)
  '394587001': 'MH', '394588006': 'MH',
  // substance use
  '7200002': 'SUD', '66214007': 'SUD', '5602001': 'SUD', '55680006': 'SUD', '191816009': 'SUD', '6525002': 'SUD', '15167005': 'SUD',
  '56294008': 'SUD', // nicotine dependence
  // HIV
  '86406008': 'HIV', '165816005': 'HIV', '62479008': 'HIV', '91947003': 'HIV',
  // sexual and reproductive health
  '72892002': 'SEX', '77386006': 'SEX', '19169002': 'SEX', '105629000': 'SEX', '15628003': 'SEX', '76272004': 'SEX',
  '33839006': 'SEX', '714812005': 'SEX',
};

const LOINC_CODES: Readonly<Record<string, Category>> = {
  '44249-1': 'MH', '44261-6': 'MH', '55757-9': 'MH', '55758-7': 'MH', '69737-5': 'MH', '70274-6': 'MH',
  '72109-2': 'SUD', '75626-2': 'SUD', '82666-9': 'SUD', '82667-7': 'SUD',
  '7917-8': 'HIV', '5221-7': 'HIV', '75622-1': 'HIV', '56888-1': 'HIV', '20447-9': 'HIV', '25836-8': 'HIV',
  '2106-3': 'SEX', '43304-5': 'SEX', '43305-2': 'SEX', '21613-5': 'SEX', // Chlamydia trachomatis NAA test
};

const ATC_PREFIXES: readonly [string, Category][] = [
  ['N05A', 'MH'], ['N05B', 'MH'], ['N06A', 'MH'], ['N07B', 'SUD'],
  ['J05AE', 'HIV'], ['J05AF', 'HIV'], ['J05AG', 'HIV'], ['J05AR', 'HIV'], ['J05AX', 'HIV'], ['G03A', 'SEX'],
];

function byPrefix(table: readonly [string, Category][], code: string): Category | undefined {
  let best: [string, Category] | undefined;
  for (const entry of table) if (code.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  return best?.[1];
}

/** The sensitive category of one coded concept, if any. */
export function sensitiveCategory(system: string | undefined, code: string | undefined): Category | undefined {
  if (!system || !code) return undefined;
  if (system === SNOMED) return SNOMED_CODES[code];
  if (system === LOINC) return LOINC_CODES[code];
  if (system === ATC) return byPrefix(ATC_PREFIXES, code.toUpperCase());
  if (ICD10_SYSTEMS.includes(system)) return byPrefix(ICD10_PREFIXES, code.toUpperCase().replace(/\./g, ''));
  return undefined;
}
