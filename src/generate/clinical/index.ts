
import { addYears, type Day } from '../dates.js';
import { roleIdentifier, type Directory } from '../directory.js';
import { reference, type Ref } from '../fhir.js';
import { ageOn, type Person } from '../person.js';
import type { PlannedCase } from '../public-health.js';
import type { Random } from '../random.js';
import { PersonRecord, type CareSetting } from '../record.js';
import type { ChronicKey } from '../tables/conditions.js';
import { prescriber, type ClinicalContext } from './context.js';
import { parents } from './family.js';
import { emergencyVisit, hospitalCare } from './hospital.js';
import { imagingStudies } from './imaging.js';
import { immunizations } from './immunizations.js';
import { followUpLabs } from './labs.js';
import { chronicMedications } from './medications.js';
import { notifiableCase } from './notifiable.js';
import { drawTraits } from './physiology.js';
import { planCare } from './plan.js';
import { allergies, clinicVisits, problemList, upcomingAppointment } from './visits.js';

/** One person's whole record over the history window (pure): the composition of the clinical modules. */

export interface RecordOptions {
  readonly reference: Day;
  readonly historyYears: number;
  /** Source copies carry the hard-case variants too (suffixes, nicknames, compound surnames reduced, date and NAM typos). */
  readonly hardCases?: boolean;
  /** The doctors' upcoming appointments so far in this pass over the population (see ClinicalContext.upcoming). */
  readonly upcoming?: Map<string, number>;
}

export interface GeneratedRecord {
  readonly record: PersonRecord;
  readonly chronic: readonly ChronicKey[];
  /** Resources written for each notifiable case, in the order of the planned cases. */
  readonly cases: readonly { planned: PlannedCase; resources: readonly string[] }[];
  readonly familyDoctor?: { readonly system: string; readonly value: string; readonly display: string };
}

function chooseCare(rng: Random, person: Person, directory: Directory, chronic: number): CareSetting {
  const region = directory.regions.get(person.address.regionCode);
  if (!region) throw new Error(`no directory for region ${person.address.regionCode}`);
  const attached = rng.chance(chronic > 0 ? 0.95 : 0.75);
  const gmf = attached ? rng.pick(region.gmfs) : undefined;
  const familyDoctor = gmf ? rng.pick(gmf.physicians) : undefined;
  // People in Montréal who speak English tend to use the English-speaking hospital.
  const english = region.hospitals.find((h) => h.hospital.language === 'en');
  const hospital = english && person.language === 'en' && rng.chance(0.8) ? english : rng.pick(region.hospitals);
  const lab = region.privateLab && rng.chance(0.3) ? region.privateLab : hospital.lab;
  const imaging = region.privateImaging && rng.chance(0.35)
    ? region.privateImaging
    : { org: hospital.imaging, radiologist: hospital.specialists.radiology };
  return {
    region,
    ...(gmf ? { gmf } : {}),
    ...(familyDoctor ? { familyDoctor } : {}),
    pharmacy: rng.pick(region.pharmacies),
    hospital,
    lab,
    imaging,
  };
}

export function generateRecord(rng: Random, person: Person, directory: Directory, planned: readonly PlannedCase[], options: RecordOptions): GeneratedRecord {
  const end = Math.min(person.deathDay ?? options.reference, options.reference);
  const start = Math.max(person.birthDay, addYears(options.reference, -options.historyYears));
  const plan = planCare(rng.fork('plan'), person, end);
  const care = chooseCare(rng.fork('care'), person, directory, plan.conditions.length);
  const record = new PersonRecord(rng.fork('record'), person, care, directory, options.reference, options.hardCases ?? false);
  const ctx: ClinicalContext = {
    rng: rng.fork('clinical'), person, plan, traits: drawTraits(rng.fork('traits'), person, plan, end), record,
    start, end, reference: options.reference, conditionRefs: new Map(), upcoming: options.upcoming ?? new Map(),
  };
  const who = prescriber(ctx);
  const clinicPatient = record.patient(who.kind, who.org);
  const author: Ref = reference('PractitionerRole', who.author.roleId, who.author.display);
  problemList(ctx, who.org.code, clinicPatient, author);
  allergies(ctx, clinicPatient, author, Math.max(start, end - 900));
  if (plan.allergies.length > 0 && ctx.rng.chance(0.5)) {
    const pharmacist = care.pharmacy.pharmacists[0];
    if (pharmacist) allergies(ctx, record.patient('pharmacy', care.pharmacy.org), reference('PractitionerRole', pharmacist.roleId, pharmacist.display), Math.max(start, end - 400));
  }
  parents(ctx);
  const visits = clinicVisits(ctx);
  followUpLabs(ctx, visits);
  chronicMedications(ctx);
  immunizations(ctx);
  hospitalCare(ctx);
  imagingStudies(ctx);
  const cases = planned.map((p) => ({ planned: p, resources: notifiableCase(ctx, p) }));
  upcomingAppointment(ctx);
  // Some hospitals opened a second chart for the same person (no NAM at registration): the MPI should find it.
  if (record.sources.has(care.hospital.hospital.code) && ctx.rng.chance(0.04) && ageOn(person, end) >= 1) {
    emergencyVisit(ctx, Math.max(start, end - ctx.rng.int(30, 700)), record.openDuplicate('hospital', care.hospital.hospital));
  }
  // Everyone has a file at their community pharmacy; people seen by a single source get one.
  if (record.sources.size < 2) record.patient('pharmacy', care.pharmacy.org);
  return {
    record,
    chronic: plan.conditions.filter((c) => c.onset <= end).map((c) => c.key),
    cases,
    ...(care.familyDoctor ? { familyDoctor: { ...roleIdentifier(care.familyDoctor), display: care.familyDoctor.display } } : {}),
  };
}
