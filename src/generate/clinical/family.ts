import type { RelatedPerson } from '@medplum/fhirtypes';
import { formatDate } from '../dates.js';
import { coding, concept } from '../fhir.js';
import { givenName } from '../names.js';
import { ageOn } from '../person.js';
import { V3_ROLE_CODE } from '../systems.js';
import { prescriber, type ClinicalContext } from './context.js';

/**
 * A minor's parent as the family clinic records them (pure): the person a portal would let act as proxy.
 * The parent carries the child's surname at birth (or the first part of a double surname) and the family
 * phone number.
 */
export function parents(ctx: ClinicalContext): void {
  const { person, rng, record } = ctx;
  if (ageOn(person, ctx.end) >= 18 || person.deathDay !== undefined) return;
  const who = prescriber(ctx);
  const patient = record.patient(who.kind, who.org);
  const birthYear = Number(formatDate(person.birthDay).slice(0, 4)) - rng.int(24, 38);
  const mother = rng.chance(0.65);
  const family = person.surnameAtBirth.split('-')[mother && person.surnameAtBirth.includes('-') ? 1 : 0] as string;
  record.add<RelatedPerson>({
    resourceType: 'RelatedPerson',
    active: true,
    patient,
    relationship: [concept([coding(V3_ROLE_CODE, mother ? 'MTH' : 'FTH', mother ? 'mother' : 'father')], mother ? 'Mère' : 'Père')],
    name: [{ use: 'official', family, given: [givenName(rng, mother ? 'female' : 'male', birthYear, person.language)] }],
    telecom: [{ system: 'phone', value: person.phone, use: 'home' }],
    gender: mother ? 'female' : 'male',
    address: [{ use: 'home', line: [person.address.line], city: person.address.city, state: 'QC', postalCode: person.address.postalCode, country: 'CA' }],
  });
}
