import type { Organization, Practitioner, PractitionerRole, Resource, Schedule, Slot } from '@medplum/fhirtypes';
import { PUBLIC_BOOKING_URL } from '../scheduling/schedule-facts.js';
import { dateTime, instant, weekday, ymd, type Day } from './dates.js';
import { coding, concept, meta, reference } from './fhir.js';
import type { Sex } from './names.js';
import { practitionerName } from './names.js';
import type { Random } from './random.js';
import {
  LICENCE_ASSIGNERS, LICENCE_SYSTEMS, ORGANIZATION_SYSTEM, ORGANIZATION_TYPE, PRACTITIONER_ROLE, SCHEDULE_SYSTEM,
  SNOMED, V2_0203, V2_0360,
} from './systems.js';
import { SPECIALTY_CODES } from './tables/care.js';
import { regionByCode, type Region } from './tables/places.js';
import { makeAddress } from './person.js';
import { BCP47 } from '../fhir/code-systems.js';

/**
 * The shared directory (pure): organisations, practitioners, their roles, and the family doctors'
 * schedules with open slots. Built only for the regions where generated people live, deterministic.
 */

export type OrgKind = 'cisss' | 'hospital' | 'hospital-lab' | 'hospital-imaging' | 'gmf' | 'pharmacy' | 'private-lab' | 'private-imaging';

export interface Org {
  readonly code: string;
  readonly id: string;
  readonly name: string;
  readonly kind: OrgKind;
  readonly regionCode: string;
  readonly language: 'fr' | 'en';
}

export type Specialty =
  | 'family' | 'internal' | 'cardiology' | 'pulmonology' | 'nephrology' | 'psychiatry' | 'endocrinology'
  | 'emergency' | 'radiology' | 'addiction' | 'nursePractitioner' | 'pharmacist';

export interface Staff {
  readonly practitionerId: string;
  readonly roleId: string;
  readonly licence: string;
  readonly display: string;
  readonly specialty: Specialty;
  readonly org: Org;
  readonly sex: Sex;
}

export interface HospitalSite {
  readonly hospital: Org;
  readonly lab: Org;
  readonly imaging: Org;
  readonly specialists: Readonly<Record<Exclude<Specialty, 'family' | 'nursePractitioner' | 'pharmacist'>, Staff>>;
}

export interface Clinic {
  readonly org: Org;
  readonly physicians: readonly Staff[];
  readonly nurse: Staff;
}

export interface RegionDirectory {
  readonly region: Region;
  readonly cisss: Org;
  readonly hospitals: readonly HospitalSite[];
  readonly gmfs: readonly Clinic[];
  readonly pharmacies: readonly { org: Org; pharmacists: readonly Staff[] }[];
  readonly privateLab?: Org;
  readonly privateImaging?: { org: Org; radiologist: Staff };
}

export interface Directory {
  readonly resources: Resource[];
  readonly regions: ReadonlyMap<string, RegionDirectory>;
  /** Schedule id of each family doctor's and nurse practitioner's role. */
  readonly schedules: ReadonlyMap<string, string>;
}


export function specialtyConcept(specialty: Specialty) {
  if (specialty === 'pharmacist') return { text: 'Pharmacie communautaire' };
  const [code, display, fr] = SPECIALTY_CODES[specialty];
  return concept([coding(SNOMED, code, display)], fr);
}

const GMF_NAMES = ['GMF des Érables', 'GMF du Vieux-Moulin', 'GMF Clinique médicale {city}', 'GMF de la Rivière', 'GMF Santé {city}', 'GMF du Boisé', 'GMF des Trois-Pins', 'GMF Centre médical {city}'];
const PHARMACY_SURNAMES = ['Tremblay', 'Gagnon', 'Roy', 'Côté', 'Bouchard', 'Morin', 'Lavoie', 'Fortin', 'Ouellet', 'Pelletier', 'Bergeron', 'Nguyen', 'Haddad'];

interface Builder {
  readonly rng: Random;
  readonly resources: Resource[];
  readonly reference: Day;
  /** Practitioners numbered so far (licence numbers are unique: an affine map of this sequence). */
  readonly sequence: { n: number; readonly offset: number };
}

function addOrg(b: Builder, code: string, name: string, kind: OrgKind, region: Region, language: 'fr' | 'en', partOf?: Org): Org {
  const id = b.rng.uuid();
  const type = kind === 'hospital-lab' || kind === 'hospital-imaging' ? 'dept' : kind === 'cisss' ? 'govt' : 'prov';
  const address = makeAddress(b.rng, region);
  const org: Organization = {
    resourceType: 'Organization',
    id,
    meta: meta(),
    identifier: [{ system: ORGANIZATION_SYSTEM, value: code }],
    active: true,
    type: [concept([coding(ORGANIZATION_TYPE, type, type === 'dept' ? 'Hospital Department' : type === 'govt' ? 'Government' : 'Healthcare Provider')])],
    name,
    telecom: [{ system: 'phone', value: `${region.municipalities[0]?.areaCodes[0]}-555-${String(b.rng.int(0, 9999)).padStart(4, '0')}`, use: 'work' }],
    address: [{ use: 'work', line: [address.line], city: address.city, state: 'QC', postalCode: address.postalCode, country: 'CA' }],
    ...(partOf ? { partOf: reference('Organization', partOf.id, partOf.name) } : {}),
  };
  b.resources.push(org);
  return { code, id, name, kind, regionCode: region.code, language };
}

function addStaff(b: Builder, org: Org, specialty: Specialty): Staff {
  const rng = b.rng;
  const sex: Sex = rng.chance(specialty === 'nursePractitioner' ? 0.88 : specialty === 'pharmacist' ? 0.68 : 0.52) ? 'female' : 'male';
  const birthYear = ymd(b.reference).year - rng.int(30, 64);
  const name = practitionerName(rng, sex, birthYear);
  const profession = specialty === 'pharmacist' ? 'pharmacist' : specialty === 'nursePractitioner' ? 'nurse' : 'physician';
  // Unique by construction (7919 is prime to both moduli): a conditional create on the licence must never
  // merge two practitioners.
  const n = b.sequence.n++;
  const licence = profession === 'physician'
    ? String(10000 + ((n * 7919 + b.sequence.offset) % 90000))
    : String(100000 + ((n * 7919 + b.sequence.offset) % 900000));
  const practitionerId = rng.uuid();
  const roleId = rng.uuid();
  const prefix = profession === 'physician' ? (sex === 'female' ? 'Dre' : 'Dr') : undefined;
  const display = `${prefix ? `${prefix} ` : ''}${name.given} ${name.family}`;
  const qualification = profession === 'physician' ? ['MD', 'Doctor of Medicine'] : profession === 'pharmacist' ? ['RPH', 'Registered Pharmacist'] : ['NP', 'Nurse Practitioner'];
  const practitioner: Practitioner = {
    resourceType: 'Practitioner',
    id: practitionerId,
    meta: meta(),
    identifier: [{
      type: concept([coding(V2_0203, 'LN', 'License number')]),
      system: LICENCE_SYSTEMS[profession],
      value: licence,
      assigner: { display: LICENCE_ASSIGNERS[profession] },
    }],
    active: true,
    name: [{ use: 'official', family: name.family, given: [name.given], ...(prefix ? { prefix: [prefix] } : {}) }],
    gender: sex,
    qualification: [{ code: concept([coding(V2_0360, qualification[0] as string, qualification[1])]) }],
    communication: [concept([coding(BCP47, org.language === 'en' ? 'en-CA' : 'fr-CA')])],
  };
  const role: PractitionerRole = {
    resourceType: 'PractitionerRole',
    id: roleId,
    meta: meta(),
    identifier: [roleIdentifier({ licence, specialty, org })],
    active: true,
    practitioner: reference('Practitioner', practitionerId, display),
    organization: reference('Organization', org.id, org.name),
    code: [concept([coding(PRACTITIONER_ROLE, profession === 'physician' ? 'doctor' : profession === 'pharmacist' ? 'pharmacist' : 'nurse')])],
    specialty: [specialtyConcept(specialty)],
  };
  b.resources.push(practitioner, role);
  return { practitionerId, roleId, licence, display, specialty, org, sex };
}

/** Open 20-minute slots in the week after the reference date, three per weekday. */
function addSchedule(b: Builder, staff: Staff, schedules: Map<string, string>): void {
  const id = b.rng.uuid();
  const schedule: Schedule = {
    resourceType: 'Schedule',
    id,
    meta: meta(),
    identifier: [{ system: SCHEDULE_SYSTEM, value: `${staff.licence}@${staff.org.code}` }],
    active: true,
    specialty: [specialtyConcept(staff.specialty)],
    actor: [reference('PractitionerRole', staff.roleId, staff.display)],
    planningHorizon: { start: dateTime(b.reference + 1, 0), end: dateTime(b.reference + 8, 0) },
    comment: `Plages de rendez-vous — ${staff.org.name}`,
    // Patients book these online (Rendez-vous santé Québec; docs/scheduling.md).
    extension: [{ url: PUBLIC_BOOKING_URL, valueBoolean: true }],
  };
  b.resources.push(schedule);
  schedules.set(staff.roleId, id);
  for (let day = b.reference + 1; day <= b.reference + 7; day++) {
    if (weekday(day) === 0 || weekday(day) === 6) continue;
    for (const minute of [9 * 60, 10 * 60 + 20, 14 * 60]) {
      if (b.rng.chance(0.3)) continue; // already taken by patients outside the demo population
      const slot: Slot = {
        resourceType: 'Slot',
        id: b.rng.uuid(),
        meta: meta(),
        schedule: reference('Schedule', id),
        status: 'free',
        specialty: [specialtyConcept(staff.specialty)],
        start: instant(day, minute),
        end: instant(day, minute + 20),
      };
      b.resources.push(slot);
    }
  }
}

/** A PractitionerRole's identifier: the licence at the organisation (stable from server to server). */
export function roleIdentifier(staff: Pick<Staff, 'licence' | 'specialty' | 'org'>): { system: string; value: string } {
  const profession = staff.specialty === 'pharmacist' ? 'pharmacist' : staff.specialty === 'nursePractitioner' ? 'nurse' : 'physician';
  return { system: `${LICENCE_SYSTEMS[profession]}/role`, value: `${staff.licence}@${staff.org.code}` };
}

const HOSPITAL_SPECIALTIES = ['internal', 'cardiology', 'pulmonology', 'nephrology', 'psychiatry', 'endocrinology', 'emergency', 'radiology', 'addiction'] as const;

function buildRegion(b: Builder, region: Region, schedules: Map<string, string>): RegionDirectory {
  const cisss = addOrg(b, `CISSS-${region.code}`, region.cisss, 'cisss', region, 'fr');
  const hospitals = region.hospitals.map((h, i): HospitalSite => {
    const hospital = addOrg(b, `HOP-${region.code}-${i + 1}`, h.name, 'hospital', region, h.language, cisss);
    const lab = addOrg(b, `LAB-${region.code}-${i + 1}`, h.language === 'en' ? `Clinical laboratories — ${h.name}` : `Laboratoire de biologie médicale — ${h.name}`, 'hospital-lab', region, h.language, hospital);
    const imaging = addOrg(b, `IMG-${region.code}-${i + 1}`, h.language === 'en' ? `Diagnostic imaging — ${h.name}` : `Imagerie médicale — ${h.name}`, 'hospital-imaging', region, h.language, hospital);
    const specialists = Object.fromEntries(HOSPITAL_SPECIALTIES.map((s) => [s, addStaff(b, s === 'radiology' ? imaging : hospital, s)])) as HospitalSite['specialists'];
    return { hospital, lab, imaging, specialists };
  });
  const clinicCount = region.population >= 1000 ? 3 : region.population >= 400 ? 2 : 1;
  const gmfs: Clinic[] = [];
  const pharmacies: { org: Org; pharmacists: Staff[] }[] = [];
  for (let i = 0; i < clinicCount; i++) {
    const city = b.rng.pick(region.municipalities).name;
    const gmf = addOrg(b, `GMF-${region.code}-${i + 1}`, b.rng.pick(GMF_NAMES).replace('{city}', city), 'gmf', region, 'fr');
    const physicians = [0, 1, 2, 3].map(() => addStaff(b, gmf, 'family'));
    const nurse = addStaff(b, gmf, 'nursePractitioner');
    for (const staff of [...physicians, nurse]) addSchedule(b, staff, schedules);
    gmfs.push({ org: gmf, physicians, nurse });
    const [a, c] = b.rng.sample(PHARMACY_SURNAMES, 2) as [string, string];
    const pharmacy = addOrg(b, `PHA-${region.code}-${i + 1}`, `Pharmacie ${a} et ${c}`, 'pharmacy', region, 'fr');
    pharmacies.push({ org: pharmacy, pharmacists: [addStaff(b, pharmacy, 'pharmacist'), addStaff(b, pharmacy, 'pharmacist')] });
  }
  const privateLab = region.population >= 400
    ? addOrg(b, `LABP-${region.code}`, `Laboratoire médical Boréal — ${region.municipalities[0]?.name}`, 'private-lab', region, 'fr')
    : undefined;
  let privateImaging: RegionDirectory['privateImaging'];
  if (region.population >= 700) {
    const org = addOrg(b, `IMGP-${region.code}`, `Clinique radiologique ${region.municipalities[0]?.name}`, 'private-imaging', region, 'fr');
    privateImaging = { org, radiologist: addStaff(b, org, 'radiology') };
  }
  return { region, cisss, hospitals, gmfs, pharmacies, ...(privateLab ? { privateLab } : {}), ...(privateImaging ? { privateImaging } : {}) };
}

export function buildDirectory(rng: Random, regionCodes: Iterable<string>, reference: Day): Directory {
  const resources: Resource[] = [];
  const regions = new Map<string, RegionDirectory>();
  const schedules = new Map<string, string>();
  // The offset depends on the seed: two populations loaded into one server do not share practitioners.
  const sequence = { n: 0, offset: rng.int(0, 89_999) };
  for (const code of [...new Set(regionCodes)].sort()) {
    regions.set(code, buildRegion({ rng: rng.fork(`region/${code}`), resources, reference, sequence }, regionByCode(code), schedules));
  }
  return { resources, regions, schedules };
}
