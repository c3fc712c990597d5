/**
 * Drugs the generator prescribes and dispenses (facts: ATC codes).
 *
 * Source: WHO Collaborating Centre for Drug Statistics Methodology, ATC/DDD Index (whocc.no). Names are
 * the French common names with a strength and form marketed in Canada. No DIN (Health Canada Drug
 * Identification Number) is given: the generator ships no copy of Health Canada's Drug Product Database,
 * and a DIN we cannot verify would be an invented one.
 */

export interface Drug {
  readonly key: string;
  readonly atc: string;
  readonly atcDisplay: string;
  /** French label as on a Québec pharmacy label. */
  readonly name: string;
  /** Directions in French. */
  readonly sig: string;
  readonly unitsPerDay: number;
  /** UCUM-free unit of what is dispensed ("comprimé", "inhalateur"…). */
  readonly form: string;
}

const d = (key: string, atc: string, atcDisplay: string, name: string, sig: string, unitsPerDay: number, form = 'comprimé'): Drug => ({ key, atc, atcDisplay, name, sig, unitsPerDay, form });

export const DRUGS = {
  metformin: d('metformin', 'A10BA02', 'metformin', 'Metformine 500 mg', 'Prendre 1 comprimé 2 fois par jour aux repas', 2),
  gliclazide: d('gliclazide', 'A10BB09', 'gliclazide', 'Gliclazide 30 mg LM', 'Prendre 1 comprimé le matin au déjeuner', 1),
  empagliflozin: d('empagliflozin', 'A10BK03', 'empagliflozin', 'Empagliflozine 10 mg', 'Prendre 1 comprimé une fois par jour', 1),
  insulinGlargine: d('insulinGlargine', 'A10AE04', 'insulin glargine', 'Insuline glargine 100 unités/mL (stylo)', 'Injecter 14 unités sous la peau au coucher', 0.14, 'mL'),
  ramipril: d('ramipril', 'C09AA05', 'ramipril', 'Ramipril 5 mg', 'Prendre 1 capsule une fois par jour', 1, 'capsule'),
  amlodipine: d('amlodipine', 'C08CA01', 'amlodipine', 'Amlodipine 5 mg', 'Prendre 1 comprimé une fois par jour', 1),
  hydrochlorothiazide: d('hydrochlorothiazide', 'C03AA03', 'hydrochlorothiazide', 'Hydrochlorothiazide 12,5 mg', 'Prendre 1 comprimé le matin', 1),
  atorvastatin: d('atorvastatin', 'C10AA05', 'atorvastatin', 'Atorvastatine 20 mg', 'Prendre 1 comprimé au coucher', 1),
  rosuvastatin: d('rosuvastatin', 'C10AA07', 'rosuvastatin', 'Rosuvastatine 10 mg', 'Prendre 1 comprimé une fois par jour', 1),
  bisoprolol: d('bisoprolol', 'C07AB07', 'bisoprolol', 'Bisoprolol 5 mg', 'Prendre 1 comprimé une fois par jour', 1),
  furosemide: d('furosemide', 'C03CA01', 'furosemide', 'Furosémide 40 mg', 'Prendre 1 comprimé le matin', 1),
  sacubitrilValsartan: d('sacubitrilValsartan', 'C09DX04', 'valsartan and sacubitril', 'Sacubitril-valsartan 49 mg/51 mg', 'Prendre 1 comprimé 2 fois par jour', 2),
  apixaban: d('apixaban', 'B01AF02', 'apixaban', 'Apixaban 5 mg', 'Prendre 1 comprimé 2 fois par jour', 2),
  warfarin: d('warfarin', 'B01AA03', 'warfarin', 'Warfarine 5 mg', 'Prendre selon le calendrier de la clinique d’anticoagulothérapie', 1),
  salbutamol: d('salbutamol', 'R03AC02', 'salbutamol', 'Salbutamol 100 mcg/inhalation (aérosol)', 'Inhaler 1 à 2 bouffées au besoin, maximum 4 fois par jour', 0.03, 'inhalateur'),
  budesonideFormoterol: d('budesonideFormoterol', 'R03AK07', 'formoterol and budesonide', 'Budésonide-formotérol 200/6 mcg (Turbuhaler)', 'Inhaler 1 bouffée 2 fois par jour et au besoin', 0.017, 'inhalateur'),
  tiotropium: d('tiotropium', 'R03BB04', 'tiotropium bromide', 'Tiotropium 2,5 mcg (Respimat)', 'Inhaler 2 bouffées une fois par jour', 0.017, 'inhalateur'),
  sertraline: d('sertraline', 'N06AB06', 'sertraline', 'Sertraline 50 mg', 'Prendre 1 capsule une fois par jour', 1, 'capsule'),
  escitalopram: d('escitalopram', 'N06AB10', 'escitalopram', 'Escitalopram 10 mg', 'Prendre 1 comprimé une fois par jour', 1),
  venlafaxine: d('venlafaxine', 'N06AX16', 'venlafaxine', 'Venlafaxine XR 75 mg', 'Prendre 1 capsule une fois par jour au déjeuner', 1, 'capsule'),
  levothyroxine: d('levothyroxine', 'H03AA01', 'levothyroxine sodium', 'Lévothyroxine 75 mcg', 'Prendre 1 comprimé le matin à jeun', 1),
  naltrexone: d('naltrexone', 'N07BB04', 'naltrexone', 'Naltrexone 50 mg', 'Prendre 1 comprimé une fois par jour', 1),
  buprenorphineNaloxone: d('buprenorphineNaloxone', 'N07BC51', 'buprenorphine, combinations', 'Buprénorphine-naloxone 8 mg/2 mg', 'Dissoudre 1 comprimé sous la langue une fois par jour', 1),
  varenicline: d('varenicline', 'N07BA03', 'varenicline', 'Varénicline 1 mg', 'Prendre 1 comprimé 2 fois par jour', 2),
  acetaminophen: d('acetaminophen', 'N02BE01', 'paracetamol', 'Acétaminophène 500 mg', 'Prendre 1 à 2 comprimés aux 6 heures au besoin', 4),
  naproxen: d('naproxen', 'M01AE02', 'naproxen', 'Naproxène 250 mg', 'Prendre 1 comprimé 2 fois par jour aux repas au besoin', 2),
  amoxicillin: d('amoxicillin', 'J01CA04', 'amoxicillin', 'Amoxicilline 500 mg', 'Prendre 1 capsule 3 fois par jour pendant 7 jours', 3, 'capsule'),
  azithromycin: d('azithromycin', 'J01FA10', 'azithromycin', 'Azithromycine 250 mg', 'Prendre 2 comprimés le jour 1, puis 1 comprimé par jour pendant 4 jours', 1.2),
  doxycycline: d('doxycycline', 'J01AA02', 'doxycycline', 'Doxycycline 100 mg', 'Prendre 1 comprimé 2 fois par jour pendant 7 jours', 2),
  oseltamivir: d('oseltamivir', 'J05AH02', 'oseltamivir', 'Oseltamivir 75 mg', 'Prendre 1 capsule 2 fois par jour pendant 5 jours', 2, 'capsule'),
  nirmatrelvirRitonavir: d('nirmatrelvirRitonavir', 'J05AE30', 'nirmatrelvir and ritonavir', 'Nirmatrelvir 150 mg et ritonavir 100 mg', 'Prendre 2 comprimés de nirmatrelvir et 1 de ritonavir 2 fois par jour pendant 5 jours', 6),
  contraceptive: d('contraceptive', 'G03AA07', 'levonorgestrel and ethinylestradiol', 'Lévonorgestrel 0,15 mg / éthinylestradiol 0,03 mg', 'Prendre 1 comprimé par jour', 1),
} as const satisfies Record<string, Drug>;

export type DrugKey = keyof typeof DRUGS;
