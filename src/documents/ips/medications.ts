import type { MedicationStatement, Resource } from '@medplum/fhirtypes';
import { conceptKeys, DAY_MS, firstDate, monthsBefore, refOf, timeOf, type Json } from './facts.js';
import type { SummaryRules } from './rules.js';

/**
 * The medication section, built from everything the sources say: the clinic's MedicationRequests, the
 * pharmacy's MedicationDispenses and any MedicationStatement. One line per medication (requests,
 * dispenses and statements of the same drug are one line, whichever source wrote them), current or past,
 * written as a MedicationStatement derived from the resources that support it (`derivedFrom`).
 *
 * Evidence of use: an active request until its validity ends; a dispense for its days of supply plus a
 * grace period (late refills are common); an active statement until its period ends. A stop (a stopped
 * request, its validity end being the stop date, or a stopped statement) ends all earlier evidence.
 * Current: some evidence still runs now. Past: the last use ended within `pastMonths`.
 */
export interface MedicationLine {
  readonly statement: MedicationStatement;
  readonly current: boolean;
  /** The newest request, dispense and statement of the line: the resources `derivedFrom` names. */
  readonly sources: readonly Resource[];
}

interface Evidence {
  readonly resource: Json;
  readonly start: number;
  readonly end: number;
  readonly stop?: number;
}

const INFINITY = Number.POSITIVE_INFINITY;

function medicationKeys(r: Json): string[] {
  if (r.medicationCodeableConcept) return conceptKeys(r.medicationCodeableConcept);
  const ref = (r.medicationReference as Json | undefined)?.reference;
  if (typeof ref !== 'string') return [];
  if (ref.startsWith('#')) {
    const contained = (Array.isArray(r.contained) ? r.contained as Json[] : []).find((c) => `#${c.id}` === ref);
    const keys = conceptKeys(contained?.code);
    if (keys.length > 0) return keys;
  }
  return [`ref|${ref}`];
}

function evidenceOf(r: Json, graceDays: number): Evidence | undefined {
  switch (r.resourceType) {
    case 'MedicationRequest': {
      const start = timeOf(firstDate(r, 'authoredOn', 'dispenseRequest.validityPeriod.start'));
      const validEnd = firstDate(r, 'dispenseRequest.validityPeriod.end');
      const end = validEnd ? timeOf(validEnd) + DAY_MS : start;
      if (r.status === 'active' || r.status === 'on-hold') return { resource: r, start, end: validEnd ? end : INFINITY };
      if (r.status === 'completed') return { resource: r, start, end };
      if (r.status === 'stopped') return { resource: r, start, end, stop: end };
      return undefined; // draft, cancelled (never started), entered-in-error, unknown
    }
    case 'MedicationDispense': {
      if (r.status !== 'completed' && r.status !== 'in-progress') return undefined;
      const start = timeOf(firstDate(r, 'whenHandedOver', 'whenPrepared'));
      const days = Number((r.daysSupply as Json | undefined)?.value ?? 30);
      return { resource: r, start, end: start + (days + graceDays) * DAY_MS };
    }
    case 'MedicationStatement': {
      const start = timeOf(firstDate(r, 'effectivePeriod.start', 'effectiveDateTime', 'dateAsserted'));
      const periodEnd = firstDate(r, 'effectivePeriod.end');
      const end = periodEnd ? timeOf(periodEnd) : start;
      if (r.status === 'active' || r.status === 'intended' || r.status === 'on-hold') return { resource: r, start, end: periodEnd ? end : INFINITY };
      if (r.status === 'completed') return { resource: r, start, end };
      if (r.status === 'stopped') return { resource: r, start, end, stop: end };
      return undefined; // not-taken, entered-in-error, unknown
    }
    default: return undefined;
  }
}

/** Groups resources of the same drug: any shared code (or the same Medication reference) joins two groups. */
function groups(resources: readonly Json[]): Json[][] {
  const groupOf = new Map<string, number>();
  const members: Json[][] = [];
  for (const r of resources) {
    const keys = medicationKeys(r);
    const hits = [...new Set(keys.map((k) => groupOf.get(k)).filter((g): g is number => g !== undefined))];
    const target = hits[0] ?? members.push([]) - 1;
    for (const other of hits.slice(1)) {
      for (const m of members[other] ?? []) members[target]?.push(m);
      members[other] = [];
      for (const [k, g] of groupOf) if (g === other) groupOf.set(k, target);
    }
    members[target]?.push(r);
    for (const k of keys) groupOf.set(k, target);
  }
  return members.filter((m) => m.length > 0);
}

const iso = (ms: number) => new Date(ms).toISOString();

export function medicationLines(
  all: readonly Resource[], rules: SummaryRules, now: Date, subject: string, idFor: (key: string) => string,
): MedicationLine[] {
  const candidates = all.filter((r) => ['MedicationRequest', 'MedicationDispense', 'MedicationStatement'].includes(r.resourceType)) as unknown as Json[];
  const pastLimit = monthsBefore(now, rules.medications.pastMonths);
  const lines: MedicationLine[] = [];
  for (const group of groups(candidates)) {
    const evidence = group.map((r) => evidenceOf(r, rules.medications.dispenseGraceDays)).filter((e): e is Evidence => e !== undefined && Number.isFinite(e.start));
    if (evidence.length === 0) continue;
    const lastStop = Math.max(...evidence.map((e) => e.stop ?? Number.NEGATIVE_INFINITY));
    const ends = evidence.map((e) => (e.start <= lastStop ? Math.min(e.end, lastStop) : e.end));
    const lastEnd = Math.max(...ends);
    const current = lastEnd >= now.getTime();
    if (!current && lastEnd < pastLimit) continue;
    const newest = (type: string) => evidence.filter((e) => e.resource.resourceType === type).sort((a, b) => b.start - a.start || String(a.resource.id).localeCompare(String(b.resource.id)))[0]?.resource;
    const sources = ['MedicationRequest', 'MedicationDispense', 'MedicationStatement'].map(newest).filter((r): r is Json => r !== undefined);
    const representative = sources[0] as Json;
    const stopped = !current && lastStop === lastEnd;
    const stopReason = stopped ? evidence.find((e) => e.stop === lastStop)?.resource.statusReason : undefined;
    const start = Math.min(...evidence.map((e) => e.start));
    const key = medicationKeys(representative)[0] ?? String(representative.id);
    const dosage = (representative.dosageInstruction ?? representative.dosage) as MedicationStatement['dosage'];
    const reference = (representative.medicationReference as Json | undefined)?.reference as string | undefined;
    const contained = reference?.startsWith('#') ? (representative.contained as Json[] | undefined)?.filter((c) => `#${c.id}` === reference) : undefined;
    const statement = {
      resourceType: 'MedicationStatement',
      id: idFor(key),
      ...(contained && contained.length > 0 ? { contained } : {}),
      status: current ? 'active' : stopped ? 'stopped' : 'completed',
      ...(stopReason ? { statusReason: [Array.isArray(stopReason) ? stopReason[0] : stopReason] } : {}),
      ...(representative.medicationCodeableConcept ? { medicationCodeableConcept: representative.medicationCodeableConcept } : { medicationReference: representative.medicationReference }),
      subject: { reference: subject },
      effectivePeriod: { start: iso(start), ...(current ? {} : { end: iso(Math.min(lastEnd, now.getTime())) }) },
      dateAsserted: now.toISOString(),
      derivedFrom: sources.map((r) => ({ reference: refOf(r as unknown as Resource) })),
      ...(Array.isArray(dosage) && dosage.length > 0 ? { dosage } : {}),
    } as MedicationStatement;
    lines.push({ statement, current, sources: sources as unknown as Resource[] });
  }
  // Current first, then by the most recent use.
  return lines.sort((a, b) => Number(b.current) - Number(a.current)
    || timeOf(b.statement.effectivePeriod?.end ?? b.statement.effectivePeriod?.start) - timeOf(a.statement.effectivePeriod?.end ?? a.statement.effectivePeriod?.start));
}
