import type { CodeableConcept, MedicationDispense, MedicationRequest, MedicationStatement } from '@medplum/fhirtypes';
import type { Lang } from './lang.js';

/**
 * Medications as a person reads them (pure): one line per drug across every source — the prescriptions
 * (who prescribed, the dose, validity), the pharmacy's dispenses (where, when, for how many days, so when
 * the next refill falls) and the person's own statements — current or past, with the reason a medication
 * was stopped.
 */
const ATC = 'http://www.whocc.no/atc';
const DAY = 86_400_000;
/** A late refill is common: a dispense still counts as current this many days after its supply ends. */
const GRACE_DAYS = 30;

export interface Prescription {
  readonly id: string;
  readonly date?: string;
  readonly by?: string;
  readonly dosage?: string;
  readonly status?: string;
  readonly until?: string;
  readonly stopReason?: string;
}

export interface Dispense {
  readonly id: string;
  readonly date?: string;
  readonly where?: string;
  readonly by?: string;
  readonly days?: number;
  readonly quantity?: string;
}

export interface DrugLine {
  readonly key: string;
  readonly name: string;
  readonly current: boolean;
  readonly dosage?: string;
  readonly prescriber?: string;
  readonly lastDispense?: Dispense;
  /** The day the supply of the last dispense runs out (when a current medication needs its next refill). */
  readonly nextRefill?: string;
  readonly stopReason?: string;
  readonly stoppedOn?: string;
  /** Newest first. */
  readonly prescriptions: readonly Prescription[];
  readonly dispenses: readonly Dispense[];
  readonly lastActivity: string;
}

type Any = MedicationRequest | MedicationDispense | MedicationStatement;

function concept(r: Any): CodeableConcept | undefined {
  return r.medicationCodeableConcept;
}

function keyOf(r: Any): string {
  const c = concept(r);
  const atc = c?.coding?.find((x) => x.system === ATC && x.code)?.code;
  if (atc) return `atc:${atc}`;
  const any = c?.coding?.find((x) => x.code);
  if (any) return `${any.system ?? ''}|${any.code}`;
  return `text:${(c?.text ?? r.medicationReference?.display ?? '').toLowerCase()}`;
}

function nameOf(r: Any, lang: Lang): string {
  const c = concept(r);
  // The source's own text is what the person saw on the label; ATC displays are English.
  const display = c?.coding?.find((x) => x.display)?.display;
  return (lang === 'en' ? c?.text ?? display : c?.text ?? display) ?? r.medicationReference?.display ?? '—';
}

const time = (date: string | undefined) => (date ? Date.parse(date) : Number.NaN);
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function medicationLines(
  input: { requests: readonly MedicationRequest[]; dispenses: readonly MedicationDispense[]; statements: readonly MedicationStatement[] },
  lang: Lang, now: number,
): DrugLine[] {
  const groups = new Map<string, { name: string; requests: MedicationRequest[]; dispenses: MedicationDispense[]; statements: MedicationStatement[] }>();
  const group = (r: Any) => {
    const key = keyOf(r);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { name: nameOf(r, lang), requests: [], dispenses: [], statements: [] }));
    return g;
  };
  for (const r of input.requests) if (r.status !== 'entered-in-error' && r.status !== 'draft') group(r).requests.push(r);
  for (const d of input.dispenses) if (d.status !== 'entered-in-error' && d.status !== 'cancelled' && d.status !== 'declined') group(d).dispenses.push(d);
  for (const s of input.statements) if (s.status !== 'entered-in-error') group(s).statements.push(s);

  const lines: DrugLine[] = [];
  for (const [key, g] of groups) {
    const prescriptions: Prescription[] = g.requests
      .map((r) => ({
        id: r.id ?? '', ...(r.authoredOn ? { date: r.authoredOn } : {}), ...(r.requester?.display ? { by: r.requester.display } : {}),
        ...(r.dosageInstruction?.[0]?.text ? { dosage: r.dosageInstruction[0].text } : {}), ...(r.status ? { status: r.status } : {}),
        ...(r.dispenseRequest?.validityPeriod?.end ? { until: r.dispenseRequest.validityPeriod.end } : {}),
        ...(r.status === 'stopped' && (r.statusReason?.text ?? r.statusReason?.coding?.[0]?.display) ? { stopReason: r.statusReason?.text ?? r.statusReason?.coding?.[0]?.display } : {}),
      }))
      .sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''));
    const dispenses: Dispense[] = g.dispenses
      .map((d) => {
        const date = d.whenHandedOver ?? d.whenPrepared;
        return {
          id: d.id ?? '', ...(date ? { date } : {}), ...(d.performer?.[0]?.actor?.display ? { by: d.performer[0].actor.display } : {}),
          ...(d.location?.display ? { where: d.location.display } : {}),
          ...(d.daysSupply?.value !== undefined ? { days: d.daysSupply.value } : {}),
          ...(d.quantity?.value !== undefined ? { quantity: `${d.quantity.value} ${d.quantity.unit ?? ''}`.trim() } : {}),
        };
      })
      .sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''));
    const newestRequest = prescriptions[0];
    const lastDispense = dispenses[0];
    const supplyEnd = lastDispense?.date && lastDispense.days !== undefined ? time(lastDispense.date) + lastDispense.days * DAY : Number.NaN;
    const stopped = newestRequest?.status === 'stopped' || g.statements.some((s) => s.status === 'stopped' && !g.statements.some((o) => o.status === 'active' && (o.dateAsserted ?? '') > (s.dateAsserted ?? '')));
    const requestRuns = g.requests.some((r) => (r.status === 'active' || r.status === 'on-hold') && !(time(r.dispenseRequest?.validityPeriod?.end) < now));
    const dispenseRuns = supplyEnd + GRACE_DAYS * DAY >= now;
    const statementRuns = g.statements.some((s) => s.status === 'active' && !(time(s.effectivePeriod?.end) < now));
    const current = !stopped && (requestRuns || dispenseRuns || statementRuns);
    const dosage = newestRequest?.dosage ?? g.statements.find((s) => s.dosage?.[0]?.text)?.dosage?.[0]?.text ?? g.dispenses.find((d) => d.dosageInstruction?.[0]?.text)?.dosageInstruction?.[0]?.text;
    const stopReason = prescriptions.find((p) => p.stopReason)?.stopReason ?? g.statements.find((s) => s.status === 'stopped')?.statusReason?.[0]?.text;
    const lastActivity = [newestRequest?.date, lastDispense?.date, ...g.statements.map((s) => s.dateAsserted ?? s.effectivePeriod?.start)].filter((d): d is string => Boolean(d)).sort().pop() ?? '';
    lines.push({
      key, name: g.name, current, prescriptions, dispenses, lastActivity,
      ...(dosage ? { dosage } : {}), ...(newestRequest?.by ? { prescriber: newestRequest.by } : {}), ...(lastDispense ? { lastDispense } : {}),
      ...(current && Number.isFinite(supplyEnd) ? { nextRefill: isoDay(supplyEnd) } : {}),
      ...(!current && stopReason ? { stopReason } : {}),
      ...(stopped && newestRequest?.until ? { stoppedOn: newestRequest.until } : {}),
    });
  }
  // Current first (by name), then past, most recently used first.
  return lines.sort((a, b) => (a.current === b.current ? (a.current ? a.name.localeCompare(b.name, lang) : b.lastActivity.localeCompare(a.lastActivity)) : a.current ? -1 : 1));
}
