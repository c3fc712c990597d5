import { problem, type Hl7Location } from '../message/problems.js';

import type { MappingContext } from './context.js';
import { ATC, CDC_RACE_ETHNICITY, CPT, CVX, DICOM_DCM, HC_DIN, HC_NPN, ICD10, ICD10CA_SID, ICD10CM, ICD9CM, ISO3166, LOINC, MVX, NCI_THESAURUS, NDC, RXNORM, SNOMED, UCUM, UMLS, V2_TABLE_BASE, HL7V2_URN_BASE } from '../../fhir/code-systems.js';

/**
 * Declarative value tables: HL7 v2 codes → FHIR codes. A sender profile may replace or extend any table
 * (`tables` in the senders file). Sources: the HL7 v2-to-FHIR IG concept maps where they exist.
 */
export const TABLES = {
  /** PID-8 → Patient.gender */
  'administrative-sex': { M: 'male', F: 'female', O: 'other', A: 'other', X: 'other', U: 'unknown', N: 'unknown' },
  /** OBX-11 → Observation.status */
  'observation-status': {
    F: 'final', C: 'corrected', P: 'preliminary', R: 'preliminary', S: 'preliminary', I: 'registered', U: 'final',
    X: 'cancelled', N: 'cancelled', D: 'entered-in-error', W: 'entered-in-error',
  },
  /** OBR-25 → DiagnosticReport.status */
  'report-status': {
    O: 'registered', I: 'registered', S: 'registered', P: 'preliminary', A: 'partial', R: 'partial', N: 'partial',
    C: 'corrected', M: 'corrected', F: 'final', Y: 'final', X: 'cancelled', Z: 'unknown',
  },
  /** OBX-8 → Observation.interpretation (v3 ObservationInterpretation) */
  'abnormal-flag': {
    L: 'L', H: 'H', LL: 'LL', HH: 'HH', LU: 'LU', HU: 'HU', N: 'N', A: 'A', AA: 'AA', '<': '<', '>': '>', U: 'U', D: 'D',
    B: 'B', W: 'W', S: 'S', R: 'R', I: 'I', MS: 'MS', VS: 'VS', NEG: 'NEG', POS: 'POS', IND: 'IND', DET: 'DET', ND: 'ND',
    NR: 'NR', RR: 'RR', QCF: 'QCF', TOX: 'TOX', CAR: 'CAR', IE: 'IE', EX: 'EX', HX: 'HX', LX: 'LX', SDD: 'SDD', SYN: 'SYN-R',
  },
  /** PV1-2 → Encounter.class (v3 ActCode) */
  'patient-class': { I: 'IMP', O: 'AMB', E: 'EMER', P: 'PRENC', R: 'AMB', B: 'IMP', C: 'AMB', N: 'AMB', U: 'AMB' },
  /** ADT trigger event → Encounter.status */
  'adt-encounter-status': { A01: 'in-progress', A02: 'in-progress', A03: 'finished', A04: 'arrived', A05: 'planned', A11: 'cancelled', A13: 'in-progress' },
  /** ORC-5 order status → MedicationRequest.status */
  'order-status': {
    A: 'active', CA: 'cancelled', CM: 'completed', DC: 'stopped', ER: 'entered-in-error', HD: 'on-hold', IP: 'active',
    RP: 'stopped', SC: 'active',
  },
  /** ORC-1 order control → MedicationRequest.status (when ORC-5 is empty) */
  'order-control': {
    NW: 'active', OK: 'active', SN: 'active', RL: 'active', XO: 'active', XR: 'active', RO: 'active', RE: 'active', SC: 'active',
    CA: 'cancelled', CR: 'cancelled', OC: 'cancelled', DC: 'stopped', DR: 'stopped', OD: 'stopped', HD: 'on-hold', HR: 'on-hold', OH: 'on-hold',
  },
  /** SIU trigger event → Appointment.status */
  'siu-status': { S12: 'booked', S13: 'booked', S14: 'booked', S15: 'cancelled' },
  /** SCH-25 filler status → Appointment.status */
  'appointment-filler-status': {
    Booked: 'booked', Overbook: 'booked', Pending: 'pending', Waitlist: 'waitlist', Started: 'arrived', Complete: 'fulfilled',
    Cancelled: 'cancelled', Dc: 'cancelled', Deleted: 'entered-in-error', Noshow: 'noshow', Blocked: 'booked',
  },
  /** RXA-20 completion status → Immunization.status */
  'immunization-status': { CP: 'completed', PA: 'completed', RE: 'not-done', NA: 'not-done' },
  /** TXA-17 completion status → DocumentReference.docStatus */
  'document-completion': { DI: 'preliminary', DO: 'preliminary', IP: 'preliminary', IN: 'preliminary', PA: 'preliminary', AU: 'final', LA: 'final' },
  /** PID-16 → Patient.maritalStatus (v3 MaritalStatus) */
  'marital-status': { A: 'A', D: 'D', I: 'I', L: 'L', M: 'M', P: 'P', S: 'S', T: 'T', U: 'UNK', W: 'W', C: 'C', G: 'T', E: 'L', N: 'A', O: 'UNK', B: 'U', R: 'T' },
  /** XTN-2 telecommunication use → ContactPoint.use */
  'telecom-use': { PRN: 'home', ORN: 'home', WPN: 'work', VHN: 'home', ASN: 'work', EMR: 'home', NET: 'home', BPN: 'work', PRS: 'mobile' },
  /** XTN-3 equipment type → ContactPoint.system */
  'telecom-system': { PH: 'phone', CP: 'phone', FX: 'fax', MD: 'other', BP: 'pager', Internet: 'email', X400: 'email', TDD: 'other', TTY: 'other', SAT: 'phone' },
  /** XAD-7 address type → Address.use */
  'address-use': { H: 'home', B: 'work', O: 'work', C: 'temp', BA: 'billing', M: 'home', P: 'home', L: 'home', BDL: 'old', BR: 'home', F: 'home', RH: 'home', SH: 'temp', TM: 'temp', V: 'temp' },
  /** XPN-7 name type → HumanName.use */
  'name-use': { L: 'official', D: 'usual', M: 'maiden', N: 'nickname', A: 'anonymous', B: 'old', C: 'old', P: 'usual', S: 'anonymous', T: 'temp', U: 'usual', I: 'official', R: 'official', BAD: 'old', NB: 'usual' },
} as const satisfies Record<string, Record<string, string>>;

export type TableName = keyof typeof TABLES;

/** A table's value for a code, with the sender's overrides; undefined when the code is not in it. */
export function tableValue(ctx: MappingContext, table: TableName, code: string): string | undefined {
  const override = ctx.profile.tables[table]?.[code];
  if (override !== undefined) return override;
  return (TABLES[table] as Record<string, string>)[code] ?? (TABLES[table] as Record<string, string>)[code.toUpperCase()];
}

/** Like tableValue, but an unknown code is a located "table value not found" problem. */
export function requireTableValue(ctx: MappingContext, table: TableName, code: string, at: Hl7Location): string {
  const value = tableValue(ctx, table, code);
  if (value === undefined) throw problem.table(at, `"${code}" is not a known value here (table ${table})`);
  return value;
}

/** HL7 table 0396 coding system names → FHIR code system URIs. */
export const CODING_SYSTEMS: Readonly<Record<string, string>> = {
  LN: LOINC,
  LNC: LOINC,
  SCT: SNOMED,
  SNM: SNOMED,
  SNOMEDCT: SNOMED,
  UCUM: UCUM,
  'ISO+': UCUM,
  I10: ICD10,
  'I10-CA': ICD10CA_SID,
  I10C: ICD10CM,
  ICD10CM: ICD10CM,
  I9: ICD9CM,
  I9C: ICD9CM,
  I9CDX: ICD9CM,
  I9M: ICD9CM,
  CVX: CVX,
  MVX: MVX,
  NDC: NDC,
  RXNORM: RXNORM,
  RXN: RXNORM,
  ATC: ATC,
  WC: ATC,
  DIN: HC_DIN,
  'HC-DIN': HC_DIN,
  NPN: HC_NPN,
  CPT: CPT,
  C4: CPT,
  NCIT: NCI_THESAURUS,
  CDCREC: CDC_RACE_ETHNICITY,
  DCM: DICOM_DCM,
  UML: UMLS,
  ISO3166_1: ISO3166,
};

const V2_TABLE = /^HL7(\d{4})$/;
const CODING_SYSTEM_NAME = /^[A-Za-z0-9_.+-]{1,20}$/;

const OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;

/**
 * The code system URI of a CWE/CE coding system name (component 3 or 6): the sender's override, HL7 table
 * 0396, `HL7nnnn` tables, an OID, or a URN scoped to the sender for local (L, 99zzz) and other names.
 * Undefined when the name cannot be a coding system name at all (the caller keeps the text, not a code).
 */
export function codeSystemUri(ctx: MappingContext, name: string): string | undefined {
  const override = ctx.profile.codingSystems[name];
  if (override) return override;
  const known = CODING_SYSTEMS[name] ?? CODING_SYSTEMS[name.toUpperCase()];
  if (known) return known;
  const table = V2_TABLE.exec(name);
  if (table) return `${V2_TABLE_BASE}${table[1]}`;
  if (/^urn:|^https?:\/\//.test(name)) return name;
  if (OID.test(name)) return `urn:oid:${name}`;
  if (!CODING_SYSTEM_NAME.test(name)) return undefined;
  return `${HL7V2_URN_BASE}:${ctx.sender.key}:cs:${encodeURIComponent(name)}`;
}
