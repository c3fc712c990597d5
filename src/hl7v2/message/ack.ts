import { Hl7Context, type Hl7Message } from '@medplum/core';
import { ERROR_TEXT, type Hl7Problem } from './problems.js';
import { escapeHl7 } from './segments.js';

/** Builds ACK messages (original acknowledgement mode): MSH, MSA and one ERR per problem. Pure. */

export type AckCode = 'AA' | 'AE' | 'AR';

export interface AckInput {
  /** The message being acknowledged (or at least its MSH), when it could be read. */
  readonly original?: Hl7Message;
  readonly code: AckCode;
  readonly problems?: readonly Hl7Problem[];
  /** MSH-10 of the ACK itself. */
  readonly ackControlId: string;
  readonly now: Date;
}

function field(original: Hl7Message | undefined, n: number): string {
  return original?.header?.getField(n)?.toString() ?? '';
}

function hl7Timestamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, '') + '+0000';
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a, b] = version.split('.').map(Number);
  return (a ?? 0) > major || ((a ?? 0) === major && (b ?? 0) >= minor);
}

const MSA_TEXT: Record<AckCode, string> = { AA: 'Message accepted', AE: 'Application error', AR: 'Application reject' };

export function buildAck(input: AckInput): string {
  const { original, code } = input;
  const ctx = original?.context ?? new Hl7Context();
  const sep = ctx.fieldSeparator;
  const cs = ctx.componentSeparator;
  const version = field(original, 12).split(cs)[0] || '2.5.1';
  const event = original?.header?.getComponent(9, 2) ?? '';
  const esc = (text: string) => escapeHl7(text, ctx);
  const msh = [
    'MSH', ctx.getMsh2(),
    field(original, 5) || 'CARNET', field(original, 6) || 'CARNET',
    field(original, 3), field(original, 4),
    hl7Timestamp(input.now), '',
    event ? ['ACK', esc(event), 'ACK'].join(cs) : 'ACK',
    esc(input.ackControlId),
    field(original, 11).split(cs)[0] || 'P',
    esc(version),
  ].join(sep);
  const problems = input.problems ?? [];
  const firstError = problems.find((p) => p.severity === 'E');
  const msaText = firstError ? `${firstError.message}` : MSA_TEXT[code];
  const msa = ['MSA', code, esc(field(original, 10)), esc(msaText.slice(0, 80))].join(sep);
  const modern = versionAtLeast(version, 2, 5);
  const errs = problems.map((p) => {
    const at = p.at;
    const where = at ? [at.segment, String(at.sequence), at.field ?? '', at.repetition ?? (at.field !== undefined ? 1 : ''), at.component ?? ''].map((v) => esc(String(v))) : [];
    while (where.length > 0 && where[where.length - 1] === '') where.pop();
    const coded = [p.code, esc(ERROR_TEXT[p.code]), 'HL70357'];
    if (!modern) {
      // v2.3/2.4 ERR-1 (ELD): segment^sequence^field^code&text&table
      return ['ERR', [...where.slice(0, 3), coded.join(ctx.subcomponentSeparator)].join(cs)].join(sep);
    }
    return ['ERR', '', where.join(cs), coded.join(cs), p.severity, '', '', '', esc(p.message)].join(sep);
  });
  return [msh, msa, ...errs].join('\r');
}
