import { createHmac } from 'node:crypto';

/**
 * The keyed hashes of de-identification (pure). A release key is derived from the server's secret and the
 * release's scope — one export (de-identified: nothing links two exports) or one project (pseudonymised:
 * the same person has the same pseudonyms and date shift in every export of the project, and others in
 * another project). The key is derived again by any process that runs the export, so it is stored nowhere:
 * not in the files, not in the database.
 */
export type ReleaseKey = Buffer;

const DOMAIN = 'carnet/research/deid/v1';

export function releaseKey(secret: string, scope: string): ReleaseKey {
  return createHmac('sha256', secret).update(`${DOMAIN}:${scope}`).digest();
}

/** The pseudonym of one resource id: 128 bits of HMAC-SHA256 in hex (a valid FHIR id, stable per key). */
export function pseudonym(key: ReleaseKey, type: string, id: string): string {
  return createHmac('sha256', key).update(`id:${type}/${id}`).digest('hex').slice(0, 32);
}

/**
 * The date shift of one person, in days: within ±maxDays, never 0. Keyed on the person (every record the
 * MPI links to one Person), so every interval within the person is kept, across resources and records.
 */
export function shiftDays(key: ReleaseKey, personKey: string, maxDays: number): number {
  const word = createHmac('sha256', key).update(`shift:${personKey}`).digest().readUInt32BE(0);
  const magnitude = 1 + (word % maxDays);
  return (word & 0x80000000) !== 0 ? -magnitude : magnitude;
}
