import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { nameTokens, normaliseDate, normaliseEmail, normaliseIdentifier, normalisePostalCode, normaliseText } from '../../src/mpi/normalise.js';
import { compact, type MatchRecord } from '../../src/mpi/record.js';

/** A labelled data set: records in arrival order, and the true entity of each. */
export interface LabelledSet {
  readonly name: string;
  readonly records: MatchRecord[];
  readonly entityOf: Map<string, string>;
}

function csvRows(text: string, separator: RegExp): string[][] {
  return text.split(/\r?\n/).filter((line) => line.trim().length > 0).map((line) => line.split(separator).map((v) => v.trim()));
}

function read(path: string): string {
  const raw = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
}

/** FEBRL: `rec-<N>-org` / `rec-<N>-dup-<k>`; N is the true person. */
function febrlRecords(path: string, source?: string): { records: MatchRecord[]; entityOf: Map<string, string> } {
  const [header, ...rows] = csvRows(read(path), /,/);
  const col = (name: string) => (header as string[]).indexOf(name);
  const c = {
    id: col('rec_id'), given: col('given_name'), surname: col('surname'), number: col('street_number'), a1: col('address_1'),
    suburb: col('suburb'), postcode: col('postcode'), dob: col('date_of_birth'), ssn: col('soc_sec_id'),
  };
  const records: MatchRecord[] = [];
  const entityOf = new Map<string, string>();
  for (const row of rows) {
    const id = row[c.id] as string;
    const family = nameTokens(row[c.surname]);
    records.push(compact({
      id,
      source,
      given: nameTokens(row[c.given]),
      family: family.length ? [family] : [],
      birthDate: normaliseDate(row[c.dob]),
      postalCode: normalisePostalCode(row[c.postcode]),
      nam: normaliseIdentifier(row[c.ssn]),
      city: normaliseText(row[c.suburb]),
      street: normaliseText(`${row[c.number] ?? ''} ${row[c.a1] ?? ''}`),
    }) as unknown as MatchRecord);
    entityOf.set(id, /^rec-(\d+)-/.exec(id)?.[1] ?? id);
  }
  return { records, entityOf };
}

function splinkRecords(path: string): { records: MatchRecord[]; entityOf: Map<string, string> } {
  const [header, ...rows] = csvRows(read(path), /,/);
  const col = (name: string) => (header as string[]).indexOf(name);
  const records: MatchRecord[] = [];
  const entityOf = new Map<string, string>();
  for (const row of rows) {
    const id = `s${row[col('unique_id')]}`;
    const family = nameTokens(row[col('surname')]);
    records.push(compact({
      id,
      given: nameTokens(row[col('first_name')]),
      family: family.length ? [family] : [],
      birthDate: normaliseDate(row[col('dob')]),
      city: normaliseText(row[col('city')]),
      email: normaliseEmail(row[col('email')]),
    }) as unknown as MatchRecord);
    entityOf.set(id, row[col('cluster')] as string);
  }
  return { records, entityOf };
}

export function loadSets(dataDir: string, only?: readonly string[]): LabelledSet[] {
  const febrl = join(dataDir, 'febrl');
  const splink = join(dataDir, 'splink-fake');
  const sets: LabelledSet[] = [];
  const want = (name: string) => !only || only.length === 0 || only.includes(name);
  for (const n of [1, 2, 3]) {
    const path = join(febrl, `dataset${n}.csv`);
    if (want(`febrl${n}`) && existsSync(path)) sets.push({ name: `febrl${n}`, ...febrlRecords(path) });
  }
  if (want('febrl4') && existsSync(join(febrl, 'dataset4a.csv'))) {
    const a = febrlRecords(join(febrl, 'dataset4a.csv'), 'febrl4a');
    const b = febrlRecords(join(febrl, 'dataset4b.csv'), 'febrl4b');
    sets.push({ name: 'febrl4', records: [...a.records, ...b.records], entityOf: new Map([...a.entityOf, ...b.entityOf]) });
  }
  for (const file of ['fake_1000.csv', 'fake_20000.csv.gz']) {
    const name = `splink-${file.split('.')[0]?.replace('fake_', '')}`;
    if (want(name) && existsSync(join(splink, file))) sets.push({ name, ...splinkRecords(join(splink, file)) });
  }
  return sets;
}
