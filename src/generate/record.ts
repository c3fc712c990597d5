import type { HumanName, Identifier, Patient, Resource } from '@medplum/fhirtypes';
import { dateTime, type Day } from './dates.js';
import type { Clinic, Directory, HospitalSite, Org, RegionDirectory, Staff } from './directory.js';
import { coding, concept, meta, reference, type Ref } from './fhir.js';
import type { Person } from './person.js';
import { perturb, type Demographics, type Perturbation, type SourceKind } from './perturb.js';
import type { Random } from './random.js';
import {
  BCP47, GENDER_IDENTITY, GENDER_IDENTITY_EXTENSION, mrnSystem, NAM_SYSTEM, RSS_EXTENSION, RSS_SYSTEM, V2_0203,
  V3_MARITAL,
} from './systems.js';
import type { SensitiveCategory } from './tables/conditions.js';
import { categoryLabel, type Category } from '../consent/categories.js';
import { detectCategories } from '../consent/labels.js';

const CONSENT_CATEGORY: Record<SensitiveCategory, Category> = { 'mental-health': 'MH', 'sexual-health': 'SEX', 'substance-use': 'SUD' };
import { regionByCode } from './tables/places.js';

/**
 * One person's record as the sources hold it (pure): the source Patients, created the first time a
 * source records something, and every clinical resource, each pointing at its own source's Patient.
 */

export interface SourceRecord {
  readonly kind: SourceKind;
  readonly org: Org;
  readonly patientId: string;
  readonly identifier: { readonly system: string; readonly value: string };
  readonly nam?: string;
  readonly perturbations: readonly Perturbation[];
  /** Set on a second chart the same organisation opened for the same person. */
  readonly duplicate?: boolean;
}

/** Where this person is cared for: chosen once, used by every clinical module. */
export interface CareSetting {
  readonly region: RegionDirectory;
  readonly gmf?: Clinic;
  readonly familyDoctor?: Staff;
  readonly pharmacy: RegionDirectory['pharmacies'][number];
  readonly hospital: HospitalSite;
  /** Laboratory that receives the GMF's orders: the hospital's (public) or a private one. */
  readonly lab: Org;
  readonly imaging: { readonly org: Org; readonly radiologist: Staff };
}

const MRN_SALT: Record<SourceKind, number> = { gmf: 101, pharmacy: 2203, hospital: 30307, lab: 404, imaging: 5051 };
const MRN_FORMAT: Record<SourceKind, (n: number) => string> = {
  gmf: (n) => String(n % 1_000_000).padStart(6, '0'),
  pharmacy: (n) => `P${String(n % 10_000_000).padStart(7, '0')}`,
  hospital: (n) => String(n % 10_000_000).padStart(7, '0'),
  lab: (n) => `L${String(n % 100_000_000).padStart(8, '0')}`,
  imaging: (n) => `RIS${String(n % 10_000_000).padStart(7, '0')}`,
};

/** A record number unique within its organisation (an affine map of the person's index). */
function mrnValue(kind: SourceKind, index: number, duplicate: boolean): string {
  return MRN_FORMAT[kind]((index + (duplicate ? 500_000 : 0)) * 7919 + MRN_SALT[kind] + 100_000);
}

/** The source's name, with a generation suffix where that source writes it (after a name or in its own field). */
function humanName(use: 'usual' | 'official', d: Demographics): HumanName {
  const s = d.suffix;
  return {
    use,
    family: s?.place === 'family' ? `${d.family} ${s.text}` : d.family,
    given: s?.place === 'given' ? [...d.given, s.text] : d.given,
    ...(s?.place === 'field' ? { suffix: [s.text] } : {}),
  };
}

export class PersonRecord {
  readonly patients: Patient[] = [];
  readonly resources: Resource[] = [];
  readonly sources = new Map<string, SourceRecord>();
  readonly sensitive = new Map<SensitiveCategory, string[]>();
  private readonly ids: Random;
  private readonly demographicsRng: Random;

  constructor(
    readonly rng: Random,
    readonly person: Person,
    readonly care: CareSetting,
    readonly directory: Directory,
    readonly reference: Day,
    private readonly hardCases = false,
  ) {
    this.ids = rng.fork('ids');
    this.demographicsRng = rng.fork('demographics');
  }

  newId(): string {
    return this.ids.uuid();
  }

  /** Adds a clinical resource with a fresh id and the synthetic tag. */
  add<T extends Resource>(resource: T, sensitive?: SensitiveCategory): T & { id: string } {
    const stored = { ...resource, id: this.newId(), meta: meta() } as T & { id: string };
    // Most sensitive entries say so through their codes, and Carnet labels them at write time. Where only
    // the context tells (doxycycline for chlamydia, an addiction-medicine consult note), the source that
    // knows the context labels the entry itself, as a clinic system flags a confidential entry.
    if (sensitive && !detectCategories(stored).has(CONSENT_CATEGORY[sensitive])) {
      stored.meta = { ...stored.meta, security: [categoryLabel(CONSENT_CATEGORY[sensitive])] };
    }
    this.resources.push(stored);
    if (sensitive) this.markSensitive(sensitive, stored);
    return stored;
  }

  markSensitive(category: SensitiveCategory, resource: Resource & { id: string }): void {
    const list = this.sensitive.get(category) ?? [];
    list.push(`${resource.resourceType}/${resource.id}`);
    this.sensitive.set(category, list);
  }

  /** The Patient of a source organisation, created on first use. */
  patient(kind: SourceKind, org: Org): Ref {
    const source = this.sources.get(org.code) ?? this.openChart(kind, org, false);
    return reference('Patient', source.patientId);
  }

  /** A second chart of the same person at the same organisation (a duplicate the MPI should find). */
  openDuplicate(kind: SourceKind, org: Org): Ref {
    return reference('Patient', this.openChart(kind, org, true).patientId);
  }

  private openChart(kind: SourceKind, org: Org, duplicate: boolean): SourceRecord {
    const person = this.person;
    const { demographics, applied } = perturb(this.demographicsRng, person, kind, person.birthDay, this.hardCases);
    const patientId = this.newId();
    const identifier = { system: mrnSystem(org.code), value: mrnValue(kind, person.index, duplicate) };
    const identifiers: Identifier[] = [{
      use: 'usual', type: concept([coding(V2_0203, 'MR', 'Medical record number')]), ...identifier,
      assigner: reference('Organization', org.id, org.name),
    }];
    if (demographics.nam && !(duplicate && this.demographicsRng.chance(0.7))) {
      identifiers.push({ use: 'official', type: concept([coding(V2_0203, 'JHN', 'Jurisdictional health number (Canada)')]), system: NAM_SYSTEM, value: demographics.nam });
    }
    const nam = identifiers.find((i) => i.system === NAM_SYSTEM)?.value;
    const region = regionByCode(demographics.address.regionCode);
    const gp = kind === 'gmf' && this.care.familyDoctor && !duplicate
      ? [reference('PractitionerRole', this.care.familyDoctor.roleId, this.care.familyDoctor.display)]
      : undefined;
    const patient: Patient = {
      resourceType: 'Patient',
      id: patientId,
      meta: meta(),
      ...(person.genderIdentity && kind !== 'lab'
        ? { extension: [{ url: GENDER_IDENTITY_EXTENSION, valueCodeableConcept: concept([coding(GENDER_IDENTITY, person.genderIdentity)]) }] }
        : {}),
      identifier: identifiers,
      active: true,
      name: [humanName(applied.includes('married-name') ? 'usual' : 'official', demographics)],
      ...(demographics.phone ? { telecom: [{ system: 'phone', value: demographics.phone, use: 'home' }] } : {}),
      gender: person.sex,
      birthDate: demographics.birthDate,
      ...(person.deathDay !== undefined && (kind === 'hospital' || kind === 'gmf')
        ? { deceasedDateTime: dateTime(person.deathDay, 4 * 60 + (person.index % 600)) }
        : {}),
      address: [{
        extension: [{ url: RSS_EXTENSION, valueCoding: coding(RSS_SYSTEM, region.code, region.name) }],
        use: 'home', line: [demographics.address.line], city: demographics.address.city, district: region.name, state: 'QC',
        postalCode: demographics.address.postalCode, country: 'CA',
      }],
      maritalStatus: concept([coding(V3_MARITAL, person.maritalStatus, { S: 'Never Married', M: 'Married', D: 'Divorced', W: 'Widowed' }[person.maritalStatus])]),
      communication: [{ language: concept([coding(BCP47, person.language === 'en' ? 'en-CA' : 'fr-CA', person.language === 'en' ? 'English (Canada)' : 'French (Canada)')]), preferred: true }],
      ...(gp ? { generalPractitioner: gp } : {}),
      managingOrganization: reference('Organization', org.id, org.name),
    };
    this.patients.push(patient);
    const source: SourceRecord = { kind, org, patientId, identifier, ...(nam ? { nam } : {}), perturbations: applied, ...(duplicate ? { duplicate } : {}) };
    this.sources.set(duplicate ? `${org.code}#2` : org.code, source);
    return source;
  }

  /** Every resource of the record, source Patients first. */
  all(): Resource[] {
    return [...this.patients, ...this.resources];
  }
}
