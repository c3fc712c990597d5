/**
 * Québec regions, municipalities and public institutions (facts).
 *
 * Sources: the 18 régions sociosanitaires (RSS) and their codes are those of the Ministère de la Santé
 * et des Services sociaux (MSSS); the CISSS/CIUSSS and hospitals are real public institutions named as the
 * MSSS names them; population weights are ISQ estimates for 2023 rounded to the nearest 10,000 (they only
 * steer where synthetic people live); forward sortation areas (the first three characters of postal
 * codes) are Canada Post FSAs of each municipality; area codes are those of the North American Numbering
 * Plan for each area. The RSS 10, 17 and 18 (Nord-du-Québec, Nunavik, Terres-cries) are left out of the
 * demo population for its size only.
 */

export interface Municipality {
  readonly name: string;
  /** Relative weight within the region. */
  readonly weight: number;
  readonly fsas: readonly string[];
  readonly areaCodes: readonly string[];
}

export interface Hospital {
  readonly name: string;
  /** Main language of its records (the Jewish General Hospital writes in English). */
  readonly language: 'fr' | 'en';
}

export interface Region {
  /** RSS code, two digits. */
  readonly code: string;
  readonly name: string;
  /** Thousands of inhabitants. */
  readonly population: number;
  readonly cisss: string;
  readonly hospitals: readonly Hospital[];
  readonly municipalities: readonly Municipality[];
}

export const REGIONS: readonly Region[] = [
  {
    code: '01', name: 'Bas-Saint-Laurent', population: 200, cisss: 'CISSS du Bas-Saint-Laurent',
    hospitals: [{ name: 'Hôpital régional de Rimouski', language: 'fr' }],
    municipalities: [
      { name: 'Rimouski', weight: 5, fsas: ['G5L', 'G5M', 'G5N'], areaCodes: ['418', '581'] },
      { name: 'Rivière-du-Loup', weight: 2, fsas: ['G5R'], areaCodes: ['418'] },
    ],
  },
  {
    code: '02', name: 'Saguenay–Lac-Saint-Jean', population: 280, cisss: 'CIUSSS du Saguenay–Lac-Saint-Jean',
    hospitals: [{ name: 'Hôpital de Chicoutimi', language: 'fr' }],
    municipalities: [
      { name: 'Saguenay', weight: 6, fsas: ['G7H', 'G7G', 'G7S', 'G7B'], areaCodes: ['418', '581'] },
      { name: 'Alma', weight: 2, fsas: ['G8B'], areaCodes: ['418'] },
    ],
  },
  {
    code: '03', name: 'Capitale-Nationale', population: 770, cisss: 'CIUSSS de la Capitale-Nationale',
    hospitals: [{ name: 'Hôpital de l’Enfant-Jésus (CHU de Québec–Université Laval)', language: 'fr' }],
    municipalities: [
      { name: 'Québec', weight: 9, fsas: ['G1R', 'G1S', 'G1V', 'G1K', 'G2B', 'G1H'], areaCodes: ['418', '581'] },
      { name: 'L’Ancienne-Lorette', weight: 1, fsas: ['G2E'], areaCodes: ['418'] },
    ],
  },
  {
    code: '04', name: 'Mauricie et Centre-du-Québec', population: 530, cisss: 'CIUSSS de la Mauricie-et-du-Centre-du-Québec',
    hospitals: [{ name: 'Centre hospitalier affilié universitaire régional de Trois-Rivières', language: 'fr' }],
    municipalities: [
      { name: 'Trois-Rivières', weight: 4, fsas: ['G8T', 'G8Y', 'G9A', 'G8Z'], areaCodes: ['819', '873'] },
      { name: 'Drummondville', weight: 2, fsas: ['J2B', 'J2C'], areaCodes: ['819'] },
      { name: 'Shawinigan', weight: 1, fsas: ['G9N', 'G9P'], areaCodes: ['819'] },
      { name: 'Victoriaville', weight: 1, fsas: ['G6P', 'G6T'], areaCodes: ['819'] },
    ],
  },
  {
    code: '05', name: 'Estrie', population: 510, cisss: 'CIUSSS de l’Estrie – Centre hospitalier universitaire de Sherbrooke',
    hospitals: [{ name: 'Hôpital Fleurimont', language: 'fr' }],
    municipalities: [
      { name: 'Sherbrooke', weight: 5, fsas: ['J1H', 'J1J', 'J1E', 'J1G', 'J1L'], areaCodes: ['819', '873'] },
      { name: 'Magog', weight: 1, fsas: ['J1X'], areaCodes: ['819'] },
      { name: 'Granby', weight: 2, fsas: ['J2G', 'J2H', 'J2J'], areaCodes: ['450', '579'] },
    ],
  },
  {
    code: '06', name: 'Montréal', population: 2070, cisss: 'CIUSSS de l’Est-de-l’Île-de-Montréal',
    hospitals: [
      { name: 'Hôpital Maisonneuve-Rosemont', language: 'fr' },
      { name: 'Jewish General Hospital', language: 'en' },
    ],
    municipalities: [
      { name: 'Montréal', weight: 20, fsas: ['H1N', 'H1V', 'H1X', 'H2G', 'H2J', 'H2X', 'H3H', 'H3S', 'H4A', 'H4B'], areaCodes: ['514', '438'] },
      { name: 'Dollard-Des Ormeaux', weight: 1, fsas: ['H9A', 'H9B', 'H9G'], areaCodes: ['514'] },
      { name: 'Westmount', weight: 1, fsas: ['H3Y', 'H3Z'], areaCodes: ['514'] },
    ],
  },
  {
    code: '07', name: 'Outaouais', population: 410, cisss: 'CISSS de l’Outaouais',
    hospitals: [{ name: 'Hôpital de Gatineau', language: 'fr' }],
    municipalities: [{ name: 'Gatineau', weight: 1, fsas: ['J8T', 'J8Y', 'J8Z', 'J9H', 'J9J'], areaCodes: ['819', '873'] }],
  },
  {
    code: '08', name: 'Abitibi-Témiscamingue', population: 150, cisss: 'CISSS de l’Abitibi-Témiscamingue',
    hospitals: [{ name: 'Hôpital de Rouyn-Noranda', language: 'fr' }],
    municipalities: [
      { name: 'Rouyn-Noranda', weight: 2, fsas: ['J9X', 'J9Y'], areaCodes: ['819'] },
      { name: 'Val-d’Or', weight: 2, fsas: ['J9P'], areaCodes: ['819'] },
    ],
  },
  {
    code: '09', name: 'Côte-Nord', population: 90, cisss: 'CISSS de la Côte-Nord',
    hospitals: [{ name: 'Hôpital de Sept-Îles', language: 'fr' }],
    municipalities: [
      { name: 'Sept-Îles', weight: 1, fsas: ['G4R', 'G4S'], areaCodes: ['418'] },
      { name: 'Baie-Comeau', weight: 1, fsas: ['G4Z', 'G5C'], areaCodes: ['418'] },
    ],
  },
  {
    code: '11', name: 'Gaspésie–Îles-de-la-Madeleine', population: 90, cisss: 'CISSS de la Gaspésie',
    hospitals: [{ name: 'Hôpital de Gaspé', language: 'fr' }],
    municipalities: [{ name: 'Gaspé', weight: 1, fsas: ['G4X'], areaCodes: ['418'] }],
  },
  {
    code: '12', name: 'Chaudière-Appalaches', population: 440, cisss: 'CISSS de Chaudière-Appalaches',
    hospitals: [{ name: 'Hôtel-Dieu de Lévis', language: 'fr' }],
    municipalities: [
      { name: 'Lévis', weight: 3, fsas: ['G6V', 'G6W', 'G6X', 'G6Z'], areaCodes: ['418', '581'] },
      { name: 'Saint-Georges', weight: 1, fsas: ['G5Y', 'G5Z'], areaCodes: ['418'] },
      { name: 'Thetford Mines', weight: 1, fsas: ['G6G', 'G6H'], areaCodes: ['418'] },
    ],
  },
  {
    code: '13', name: 'Laval', population: 440, cisss: 'CISSS de Laval',
    hospitals: [{ name: 'Hôpital de la Cité-de-la-Santé', language: 'fr' }],
    municipalities: [{ name: 'Laval', weight: 1, fsas: ['H7N', 'H7T', 'H7W', 'H7V', 'H7G', 'H7M'], areaCodes: ['450', '579'] }],
  },
  {
    code: '14', name: 'Lanaudière', population: 540, cisss: 'CISSS de Lanaudière',
    hospitals: [{ name: 'Hôpital Pierre-Le Gardeur', language: 'fr' }],
    municipalities: [
      { name: 'Terrebonne', weight: 3, fsas: ['J6W', 'J6X', 'J6Y'], areaCodes: ['450', '579'] },
      { name: 'Repentigny', weight: 2, fsas: ['J5Y', 'J5Z', 'J6A'], areaCodes: ['450'] },
      { name: 'Joliette', weight: 1, fsas: ['J6E'], areaCodes: ['450'] },
    ],
  },
  {
    code: '15', name: 'Laurentides', population: 650, cisss: 'CISSS des Laurentides',
    hospitals: [{ name: 'Hôpital régional de Saint-Jérôme', language: 'fr' }],
    municipalities: [
      { name: 'Saint-Jérôme', weight: 2, fsas: ['J7Y', 'J7Z', 'J5L'], areaCodes: ['450', '579'] },
      { name: 'Blainville', weight: 2, fsas: ['J7B', 'J7C'], areaCodes: ['450'] },
      { name: 'Mirabel', weight: 1, fsas: ['J7J', 'J7N'], areaCodes: ['450'] },
    ],
  },
  {
    code: '16', name: 'Montérégie', population: 1470, cisss: 'CISSS de la Montérégie-Centre',
    hospitals: [{ name: 'Hôpital Charles-Le Moyne', language: 'fr' }],
    municipalities: [
      { name: 'Longueuil', weight: 5, fsas: ['J4K', 'J4H', 'J4J', 'J4M', 'J4N'], areaCodes: ['450', '579'] },
      { name: 'Brossard', weight: 2, fsas: ['J4W', 'J4X', 'J4Y', 'J4Z'], areaCodes: ['450'] },
      { name: 'Saint-Jean-sur-Richelieu', weight: 2, fsas: ['J3A', 'J3B', 'J2W'], areaCodes: ['450'] },
      { name: 'Saint-Hyacinthe', weight: 1, fsas: ['J2R', 'J2S', 'J2T'], areaCodes: ['450'] },
      { name: 'Châteauguay', weight: 1, fsas: ['J6J', 'J6K'], areaCodes: ['450'] },
    ],
  },
];

export function regionByCode(code: string): Region {
  const region = REGIONS.find((r) => r.code === code);
  if (!region) throw new Error(`unknown RSS ${code}`);
  return region;
}

/**
 * Regions where Lyme disease is acquired in Québec (INSPQ: the south — Estrie, Montérégie, Mauricie et
 * Centre-du-Québec, Outaouais): the surveillance signal follows it.
 */
export const LYME_ENDEMIC_REGIONS: ReadonlySet<string> = new Set(['04', '05', '07', '16']);

/** Letters never used in Canadian postal codes (D, F, I, O, Q, U). */
export const POSTAL_LETTERS = 'ABCEGHJKLMNPRSTVWXYZ';
