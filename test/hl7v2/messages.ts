/**
 * Generated HL7 v2 messages for end-to-end tests and the benchmark: ORU^R01 lab results with a chosen
 * number of OBX, ADT^A01/A40, all from one fictitious lab and hospital. Deterministic from their inputs.
 */

const LOINC = [
  ['2345-7', 'Glucose', 'mmol/L', '3.9-6.1'], ['2160-0', 'Creatinine', 'umol/L', '45-90'], ['2951-2', 'Sodium', 'mmol/L', '135-145'],
  ['2823-3', 'Potassium', 'mmol/L', '3.5-5.0'], ['2075-0', 'Chloride', 'mmol/L', '98-107'], ['1742-6', 'ALT', 'U/L', '<40'],
  ['718-7', 'Hemoglobin', 'g/L', '120-160'], ['6690-2', 'Leukocytes', '10*9/L', '4.0-11.0'], ['777-3', 'Platelets', 'K/uL', '150-400'],
  ['2093-3', 'Cholesterol', 'mmol/L', '<5.2'], ['2571-8', 'Triglyceride', 'mmol/L', '<1.7'], ['4548-4', 'HbA1c', '%', '4.0-6.0'],
] as const;

export interface OruOptions {
  readonly controlId: string;
  /** Patient MRN (PID-3, assigning authority CHUM). */
  readonly mrn: string;
  /** Filler order number (OBR-3). */
  readonly order: string;
  readonly results?: number;
  /** OBX-11 / OBR-25 status (F, C, P…). */
  readonly status?: string;
  /** Added to every value (to tell versions apart). */
  readonly shift?: number;
  readonly sender?: string;
}

export function oru(o: OruOptions): string {
  const status = o.status ?? 'F';
  const n = o.results ?? 10;
  const segments = [
    `MSH|^~\\&|${o.sender ?? 'LIS'}|CHUM^2.16.124.10.101.1.60.100^ISO|CARNET|QC|20240305101500-0500||ORU^R01^ORU_R01|${o.controlId}|P|2.5.1`,
    `PID|1||${o.mrn}^^^CHUM&2.16.124.10.101.1.60.100&ISO^MR||Tremblay^Zoé^^^^^L||19800412|F|||1200 rue Saint-Denis^^Montréal^QC^H2X 3J6^CA^H`,
    `ORC|RE|P-${o.order}^EMR|${o.order}^LIS`,
    `OBR|1|P-${o.order}^EMR|${o.order}^LIS|24323-8^Comprehensive metabolic panel^LN|||202403050815-0500|||||||||||||||202403051000-0500|||${status}`,
  ];
  for (let i = 0; i < n; i++) {
    const [code, name, unit, range] = LOINC[i % LOINC.length] as (typeof LOINC)[number];
    const value = (10 + i + (o.shift ?? 0)).toFixed(1);
    const sub = i >= LOINC.length ? String(Math.floor(i / LOINC.length) + 1) : '';
    segments.push(`OBX|${i + 1}|NM|${code}^${name}^LN|${sub}|${value}|${unit}^^UCUM|${range}|N|||${status}|||202403050900-0500`);
  }
  return segments.join('\r') + '\r';
}

export function adtA01(controlId: string, mrn: string, family = 'Tremblay', visit = `V-${mrn}`): string {
  return [
    `MSH|^~\\&|ADT|CHUM^2.16.124.10.101.1.60.100^ISO|CARNET|QC|20240305080000-0500||ADT^A01^ADT_A01|${controlId}|P|2.5.1`,
    `EVN|A01|20240305080000-0500`,
    `PID|1||${mrn}^^^CHUM&2.16.124.10.101.1.60.100&ISO^MR||${family}^Zoé^^^^^L||19800412|F`,
    `PV1|1|I|7N^712^1^CHUM|||||||MED|||||||||${visit}^^^CHUM&2.16.124.10.101.1.60.100&ISO^VN|||||||||||||||||||||||||202403050800-0500`,
  ].join('\r') + '\r';
}

export function adtA40(controlId: string, survivorMrn: string, mergedMrn: string): string {
  return [
    `MSH|^~\\&|ADT|CHUM^2.16.124.10.101.1.60.100^ISO|CARNET|QC|20240306080000-0500||ADT^A40^ADT_A39|${controlId}|P|2.5.1`,
    `EVN|A40|20240306080000-0500`,
    `PID|1||${survivorMrn}^^^CHUM&2.16.124.10.101.1.60.100&ISO^MR||Tremblay^Zoé^^^^^L||19800412|F`,
    `MRG|${mergedMrn}^^^CHUM&2.16.124.10.101.1.60.100&ISO^MR`,
  ].join('\r') + '\r';
}
