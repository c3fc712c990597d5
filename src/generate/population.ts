import type { Resource } from '@medplum/fhirtypes';
import { addYears, dayOf, formatDate, type Day } from './dates.js';
import { buildDirectory, type Directory } from './directory.js';
import { generateRecord } from './clinical/index.js';
import { assignNams, makePerson, type Person } from './person.js';
import { describeOutbreak, planPublicHealth, weekLabel, type PublicHealthPlan } from './public-health.js';
import { createRandom, type Random } from './random.js';
import { makeJunior, makeTwin } from './relatives.js';
import type { GroundTruthPerson, GroundTruth, NotifiableCaseTruth } from './ground-truth.js';
import type { SensitiveCategory } from './tables/conditions.js';

/**
 * The synthetic population (pure): people, the shared directory, the public-health plan, then one record
 * per person, generated lazily so that large populations never sit whole in memory.
 */

export interface PopulationOptions {
  readonly persons: number;
  readonly seed: string;
  /** YYYY-MM-DD: "today" of the generated world. Fixed by default so a seed always gives the same bytes. */
  readonly referenceDate: string;
  /** Years of history before the reference date. */
  readonly historyYears: number;
  /**
   * The hard cases of patient matching (issue #15): twins and fathers and sons of the same name, and
   * source copies with suffixes, nicknames, reduced compound surnames, date and NAM typos. Off by
   * default, so that a seed keeps giving the same demo population.
   */
  readonly hardCases?: boolean;
}

export const DEFAULT_REFERENCE_DATE = '2026-06-30';
export const DEFAULT_SEED = 'carnet';
export const DEFAULT_HISTORY_YEARS = 5;
export const GENERATOR_VERSION = 1;

export function populationOptions(partial: Partial<PopulationOptions> = {}): PopulationOptions {
  const options = {
    persons: partial.persons ?? 200,
    seed: partial.seed ?? DEFAULT_SEED,
    referenceDate: partial.referenceDate ?? DEFAULT_REFERENCE_DATE,
    historyYears: partial.historyYears ?? DEFAULT_HISTORY_YEARS,
    ...(partial.hardCases ? { hardCases: true } : {}),
  };
  if (!Number.isInteger(options.persons) || options.persons < 1) throw new Error('persons must be a positive integer');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(options.referenceDate)) throw new Error('referenceDate must be YYYY-MM-DD');
  if (!Number.isInteger(options.historyYears) || options.historyYears < 1 || options.historyYears > 30) throw new Error('historyYears must be 1 to 30');
  return options;
}

export interface PersonBundle {
  readonly person: Person;
  readonly resources: Resource[];
  readonly truth: GroundTruthPerson;
  readonly cases: readonly NotifiableCaseTruth[];
  readonly sensitive: ReadonlyMap<SensitiveCategory, readonly string[]>;
}

export interface Population {
  readonly options: PopulationOptions;
  readonly people: readonly Person[];
  readonly directory: Directory;
  readonly publicHealth: PublicHealthPlan;
  /** Generates each person's record in turn (deterministic whatever the order of consumption). */
  records(): Generator<PersonBundle>;
  /** The ground truth, from the records already generated (call after consuming `records()`). */
  groundTruth(done: readonly PersonBundle[]): GroundTruth;
}

/** Share of persons generated as the twin, or as the same-named son, of the person before them (hard cases). */
const TWIN_SHARE = 0.06;
const JUNIOR_SHARE = 0.04;

function makePeople(rng: Random, persons: number, reference: Day, hardCases: boolean): Omit<Person, 'nam'>[] {
  const made: Omit<Person, 'nam'>[] = [];
  for (let i = 0; i < persons; i++) {
    const fresh = makePerson(rng.fork(i), i, { reference });
    const previous = made[i - 1];
    if (hardCases && previous && !previous.relative && !previous.suffix) {
      const r = rng.fork(`relative/${i}`);
      const roll = r.next();
      if (roll < TWIN_SHARE) {
        made.push(makeTwin(r, previous, fresh));
        continue;
      }
      const junior = roll < TWIN_SHARE + JUNIOR_SHARE ? makeJunior(r, previous, fresh, reference) : undefined;
      if (junior) {
        made[i - 1] = { ...previous, suffix: 'Sr' };
        made.push(junior);
        continue;
      }
    }
    made.push(fresh);
  }
  return made;
}

export function generatePopulation(partial: Partial<PopulationOptions> = {}): Population {
  const options = populationOptions(partial);
  const root = createRandom(options.seed);
  const reference: Day = dayOf(options.referenceDate);
  const start = addYears(reference, -options.historyYears);
  const peopleRng = root.fork('people');
  const people = assignNams(makePeople(peopleRng, options.persons, reference, options.hardCases ?? false));
  const directory = buildDirectory(root.fork('directory'), people.map((p) => p.address.regionCode), reference);
  const publicHealth = planPublicHealth(root.fork('public-health'), people, start, reference);
  return {
    options,
    people,
    directory,
    publicHealth,
    *records() {
      // Each pass books the doctors' upcoming appointments afresh, in person order: the same bytes every pass.
      const upcoming = new Map<string, number>();
      for (const person of people) {
        const generated = generateRecord(root.fork(`person/${person.key}`), person, directory, publicHealth.cases.get(person.key) ?? [], {
          reference, historyYears: options.historyYears, upcoming, ...(options.hardCases ? { hardCases: true } : {}),
        });
        const { record } = generated;
        const truth: GroundTruthPerson = {
          key: person.key,
          nam: person.nam,
          sex: person.sex,
          ...(person.genderIdentity ? { genderIdentity: person.genderIdentity } : {}),
          birthDate: formatDate(person.birthDay),
          ...(person.deathDay !== undefined ? { deceasedDate: formatDate(person.deathDay) } : {}),
          name: { given: person.given, family: person.surnameAtBirth, ...(person.marriedSurname ? { married: person.marriedSurname } : {}) },
          ...(person.suffix ? { suffix: person.suffix } : {}),
          ...(person.relative ? { relative: person.relative } : {}),
          language: person.language,
          regionCode: person.address.regionCode,
          ...(generated.familyDoctor ? { familyDoctor: generated.familyDoctor } : {}),
          conditions: generated.chronic,
          records: [...record.sources.values()].map((s) => ({
            source: s.kind,
            organization: s.org.code,
            patient: `Patient/${s.patientId}`,
            identifier: s.identifier,
            ...(s.nam ? { nam: s.nam } : {}),
            perturbations: s.perturbations,
            ...(s.duplicate ? { duplicate: true } : {}),
          })),
        };
        const cases: NotifiableCaseTruth[] = generated.cases
          .filter((c) => c.resources.length > 0)
          .map((c) => ({
            person: person.key,
            condition: c.planned.condition,
            onset: formatDate(c.planned.onset),
            week: weekLabel(c.planned.onset),
            regionCode: person.address.regionCode,
            planted: c.planned.planted,
            resources: c.resources,
          }));
        yield { person, resources: record.all(), truth, cases, sensitive: record.sensitive };
      }
    },
    groundTruth(done) {
      const cases = done.flatMap((b) => b.cases);
      const weeklyCounts: Record<string, Record<string, Record<string, number>>> = {};
      for (const c of cases) {
        const byRegion = (weeklyCounts[c.condition] ??= {});
        const byWeek = (byRegion[c.regionCode] ??= {});
        byWeek[c.week] = (byWeek[c.week] ?? 0) + 1;
      }
      const sensitive: Record<string, string[]> = {};
      for (const b of done) for (const [category, refs] of b.sensitive) (sensitive[category] ??= []).push(...refs);
      const outbreak = publicHealth.outbreak;
      return {
        generator: { name: 'carnet generate', version: GENERATOR_VERSION },
        options,
        persons: done.map((b) => b.truth),
        publicHealth: {
          cases,
          weeklyCounts,
          outbreaks: outbreak
            ? [{
              ...describeOutbreak(outbreak),
              cases: cases.filter((c) => c.planted).map((c) => c.person),
              expectedCounts: Object.fromEntries(outbreak.weeks.map((w) => [w, weeklyCounts[outbreak.condition]?.[outbreak.regionCode]?.[w] ?? 0])),
            }]
            : [],
        },
        sensitive,
      };
    },
  };
}
