import type { Patient, Person, PersonLink } from '@medplum/fhirtypes';
import type { Queryable } from '../../storage/database.js';
import type { FhirContext } from '../../fhir/context.js';
import { executeWrites } from '../../fhir/write/engine.js';
import { currentOf } from '../../storage/resource-store.js';
import { formatEnterpriseId } from '../enterprise-id.js';
import { insertPerson, lockPersons, nextEnterpriseSequence, readPerson, recordsOfPersons, setPersonActive, type IndexedRecord } from '../store/link-store.js';
import { goldenDemographics, type SourceRecord } from '../survivorship.js';
import type { MpiConfig } from './config.js';

/**
 * Persons: created with a fresh enterprise identifier, and rewritten (through the write engine, so
 * validated and versioned) whenever their links change, with golden demographics from survivorship.
 */

/** Assurance of a link: automatic links are "high", links made or confirmed by a person "very high". */
export function assuranceLevel(record: Pick<IndexedRecord, 'assurance'>): PersonLink['assurance'] {
  return record.assurance === 'manual' ? 'level4' : 'level3';
}

export async function createPerson(tx: Queryable, ctx: FhirContext): Promise<string> {
  const personId = ctx.newId();
  const enterpriseId = formatEnterpriseId(await nextEnterpriseSequence(tx));
  await insertPerson(tx, { personId, enterpriseId, active: true }, ctx.clock().toISOString());
  return personId;
}

async function sourcePatients(tx: Queryable, records: readonly IndexedRecord[]): Promise<Map<string, SourceRecord>> {
  const out = new Map<string, SourceRecord>();
  if (records.length === 0) return out;
  const sourceOf = new Map(records.map((r) => [r.patientId, r.source]));
  for (const row of await currentOf(tx, 'Patient', records.map((r) => r.patientId))) {
    const source = sourceOf.get(row.id) ?? undefined;
    out.set(row.id, { patient: JSON.parse(row.content as string) as Patient, lastUpdated: row.lastUpdated, ...(source ? { source } : {}) });
  }
  return out;
}

/** Builds the Person resource of a person from its current links (pure apart from the reads). */
export function personResource(config: MpiConfig, personId: string, enterpriseId: string, records: readonly IndexedRecord[], sources: ReadonlyMap<string, SourceRecord>): Person {
  const golden = goldenDemographics([...sources.values()], config.survivorship, config.identifierRules);
  const person: Person = {
    resourceType: 'Person',
    id: personId,
    identifier: [
      { use: 'official', system: config.enterpriseIdSystem, value: enterpriseId },
      ...(golden.nam ? [golden.nam] : []),
    ],
    active: records.length > 0,
    ...(golden.name ? { name: golden.name } : {}),
    ...(golden.telecom ? { telecom: golden.telecom } : {}),
    ...(golden.gender ? { gender: golden.gender } : {}),
    ...(golden.birthDate ? { birthDate: golden.birthDate } : {}),
    ...(golden.address ? { address: golden.address } : {}),
  };
  const links = records.map((r) => ({ target: { reference: `Patient/${r.patientId}` }, assurance: assuranceLevel(r) }));
  if (links.length > 0) person.link = links;
  return person;
}

/**
 * Recomputes and stores the Person resources of these persons from their current links. Takes each
 * person's lock first, so that concurrent link changes are all reflected.
 */
export async function refreshPersons(tx: Queryable, ctx: FhirContext, config: MpiConfig, personIds: readonly string[]): Promise<void> {
  const ids = [...new Set(personIds)].sort();
  if (ids.length === 0) return;
  await lockPersons(tx, ids);
  const records = await recordsOfPersons(tx, ids);
  const sources = await sourcePatients(tx, records);
  const ops = [];
  for (const personId of ids) {
    const row = await readPerson(tx, personId);
    if (!row) continue;
    const own = records.filter((r) => r.personId === personId);
    const active = own.length > 0;
    if (row.active !== active) await setPersonActive(tx, personId, active);
    const mine = new Map([...sources].filter(([id]) => own.some((r) => r.patientId === id)));
    ops.push({ kind: 'update' as const, resourceType: 'Person', id: personId, resource: personResource(config, personId, row.enterpriseId, own, mine) });
  }
  if (ops.length > 0) await executeWrites(tx, ctx, ops, { transaction: false });
}
