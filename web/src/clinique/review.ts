import type { Parameters, ParametersParameter } from '@medplum/fhirtypes';

/**
 * The MPI review queue and decision log as the administrator reads them (pure): `$mpi-review` and
 * `$mpi-decisions` answer Parameters; these are their items.
 */
export interface FieldComparison {
  readonly name: string;
  readonly incoming?: string;
  readonly candidate?: string;
  readonly level: string;
  readonly weight?: number;
  /** Agrees (positive weight), disagrees (negative), or missing on one side. */
  readonly verdict: 'agree' | 'disagree' | 'missing';
}

export interface Candidate {
  readonly id: string;
  readonly status: string;
  readonly patient: string;
  readonly person: string;
  readonly candidatePatient: string;
  readonly weight: number;
  readonly score: number;
  readonly guard?: string;
  readonly created?: string;
  readonly decidedBy?: string;
  readonly reason?: string;
  readonly fields: readonly FieldComparison[];
}

export interface Decision {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly reason?: string;
  readonly patient?: string;
  readonly person?: string;
}

function part(parts: readonly ParametersParameter[] | undefined, name: string): ParametersParameter | undefined {
  return parts?.find((p) => p.name === name);
}

const str = (p: ParametersParameter | undefined) => p?.valueString ?? p?.valueCode ?? p?.valueReference?.reference ?? p?.valueInstant;

export function candidatesOf(body: Parameters | undefined): { total: number; items: Candidate[] } {
  const total = body?.parameter?.find((p) => p.name === 'total')?.valueInteger ?? 0;
  const items = (body?.parameter ?? []).filter((p) => p.name === 'candidate').map((c) => {
    const parts = c.part ?? [];
    const fields = parts.filter((p) => p.name === 'field').map((f): FieldComparison => {
      const level = str(part(f.part, 'level')) ?? '';
      const weight = part(f.part, 'weight')?.valueDecimal;
      return {
        name: str(part(f.part, 'name')) ?? '', level,
        ...(str(part(f.part, 'incoming')) ? { incoming: str(part(f.part, 'incoming')) as string } : {}),
        ...(str(part(f.part, 'candidate')) ? { candidate: str(part(f.part, 'candidate')) as string } : {}),
        ...(weight !== undefined ? { weight } : {}),
        verdict: level === 'missing' || weight === undefined ? 'missing' : weight > 0 ? 'agree' : 'disagree',
      };
    });
    return {
      id: str(part(parts, 'id')) ?? '', status: str(part(parts, 'status')) ?? '',
      patient: str(part(parts, 'patient')) ?? '', person: str(part(parts, 'person')) ?? '', candidatePatient: str(part(parts, 'candidatePatient')) ?? '',
      weight: part(parts, 'weight')?.valueDecimal ?? 0, score: part(parts, 'score')?.valueDecimal ?? 0,
      ...(str(part(parts, 'guard')) ? { guard: str(part(parts, 'guard')) as string } : {}),
      ...(str(part(parts, 'created')) ? { created: str(part(parts, 'created')) as string } : {}),
      ...(str(part(parts, 'decidedBy')) ? { decidedBy: str(part(parts, 'decidedBy')) as string } : {}),
      ...(str(part(parts, 'reason')) ? { reason: str(part(parts, 'reason')) as string } : {}),
      fields,
    };
  });
  return { total, items };
}

export function decisionsOf(body: Parameters | undefined): Decision[] {
  return (body?.parameter ?? []).filter((p) => p.name === 'decision').map((d) => {
    const parts = d.part ?? [];
    return {
      seq: part(parts, 'seq')?.valueInteger ?? 0, at: str(part(parts, 'at')) ?? '', actor: str(part(parts, 'actor')) ?? '', action: str(part(parts, 'action')) ?? '',
      ...(str(part(parts, 'reason')) ? { reason: str(part(parts, 'reason')) as string } : {}),
      ...(str(part(parts, 'patient')) ? { patient: str(part(parts, 'patient')) as string } : {}),
      ...(str(part(parts, 'person')) ? { person: str(part(parts, 'person')) as string } : {}),
    };
  });
}

/** What undoing a decision of the log means, when it can be undone from the screen. */
export function undoOf(d: Decision): { kind: 'unmerge' | 'unlink'; patient: string } | undefined {
  if (!d.patient?.startsWith('Patient/')) return undefined;
  if (d.action === 'merge') return { kind: 'unmerge', patient: d.patient };
  if (d.action === 'review-confirm' || d.action === 'link-manual') return { kind: 'unlink', patient: d.patient };
  return undefined;
}
