import type { Hl7Context, Hl7Message, Hl7Segment } from '@medplum/core';
import type { Hl7Location } from './problems.js';

/**
 * Read access to a parsed message (Hl7Message from @medplum/core) that knows where every value came from,
 * so that a mapping problem names its segment, field, component and repetition in the ACK.
 */

/** Decodes HL7 escape sequences (\F\ \S\ \T\ \R\ \E\ \Xhh\ \.br\); highlighting escapes are dropped. */
export function unescapeHl7(value: string, ctx: Hl7Context): string {
  const esc = ctx.escapeCharacter;
  if (!esc || !value.includes(esc)) return value;
  let out = '';
  let i = 0;
  while (i < value.length) {
    const ch = value[i] as string;
    if (ch !== esc) {
      out += ch;
      i++;
      continue;
    }
    const end = value.indexOf(esc, i + 1);
    if (end < 0) {
      out += value.slice(i);
      break;
    }
    const seq = value.slice(i + 1, end);
    i = end + 1;
    if (seq === 'F') out += ctx.fieldSeparator;
    else if (seq === 'S') out += ctx.componentSeparator;
    else if (seq === 'T') out += ctx.subcomponentSeparator;
    else if (seq === 'R') out += ctx.repetitionSeparator;
    else if (seq === 'E') out += esc;
    else if (seq === '.br') out += '\n';
    else if (/^X([0-9A-Fa-f]{2})+$/.test(seq)) out += Buffer.from(seq.slice(1), 'hex').toString('latin1');
    else if (/^(H|N|\.sp\d*|\.in[+-]?\d*|\.ti[+-]?\d*|\.sk\d*|\.ce|\.fi|\.nf)$/.test(seq)) out += seq.startsWith('.sp') ? '\n' : '';
    else out += `${esc}${seq}${esc}`;
  }
  return out;
}

/** Escapes text so that it can be placed in a field of an outgoing message (ACK texts). */
export function escapeHl7(text: string, ctx: Hl7Context): string {
  const map = new Map([
    [ctx.escapeCharacter, 'E'],
    [ctx.fieldSeparator, 'F'],
    [ctx.componentSeparator, 'S'],
    [ctx.subcomponentSeparator, 'T'],
    [ctx.repetitionSeparator, 'R'],
  ]);
  let out = '';
  for (const ch of text.replace(/[\r\n]+/g, ' ')) {
    const code = map.get(ch);
    out += code ? `${ctx.escapeCharacter}${code}${ctx.escapeCharacter}` : ch;
  }
  return out;
}

/** One repetition of a field: its components, with its location for error reporting. */
export class Rep {
  constructor(
    private readonly comps: readonly string[],
    private readonly ctx: Hl7Context,
    readonly at: Hl7Location,
  ) {}

  /** Component n (1-based), escapes decoded; subcomponent separators are kept. */
  c(n: number): string {
    const raw = this.comps[n - 1] ?? '';
    return raw === '""' ? '' : unescapeHl7(raw, this.ctx);
  }

  /** Subcomponent m of component n (both 1-based), escapes decoded. */
  s(n: number, m: number): string {
    const raw = (this.comps[n - 1] ?? '').split(this.ctx.subcomponentSeparator)[m - 1] ?? '';
    return raw === '""' ? '' : unescapeHl7(raw, this.ctx);
  }

  /** Component n as a nested repetition (its subcomponents become components): for HD inside CX.4, etc. */
  sub(n: number): Rep {
    return new Rep((this.comps[n - 1] ?? '').split(this.ctx.subcomponentSeparator), this.ctx, { ...this.at, component: n });
  }

  /** Where component n is. */
  loc(n: number): Hl7Location {
    return { ...this.at, component: n };
  }

  get isEmpty(): boolean {
    return this.comps.every((c) => c === '' || c === '""');
  }

  /** The whole repetition, components joined by the component separator, escapes decoded (ST, TX, FT). */
  get text(): string {
    return this.comps.map((c) => (c === '""' ? '' : unescapeHl7(c, this.ctx))).join(this.ctx.componentSeparator);
  }
}

/** A segment of a message and its position: the n-th segment of its name (1-based). */
export class Seg {
  constructor(
    readonly segment: Hl7Segment,
    readonly sequence: number,
    /** Index of the segment in the message (0 = MSH). */
    readonly index: number,
  ) {}

  get name(): string {
    return this.segment.name;
  }

  loc(field?: number, component?: number): Hl7Location {
    return {
      segment: this.name,
      sequence: this.sequence,
      ...(field !== undefined ? { field } : {}),
      ...(component !== undefined ? { component } : {}),
    };
  }

  /** Every non-empty repetition of field n. */
  reps(field: number): Rep[] {
    const f = this.segment.getField(field);
    if (!f) return [];
    return f.components
      .map((comps, i) => new Rep(comps, this.segment.context, { segment: this.name, sequence: this.sequence, field, repetition: i + 1 }))
      .filter((r) => !r.isEmpty);
  }

  /** The first repetition of field n, or undefined when the field is empty. */
  rep(field: number): Rep | undefined {
    return this.reps(field)[0];
  }

  /** Component c (default 1) of the first repetition of field n; '' when absent. */
  get(field: number, component = 1): string {
    return this.rep(field)?.c(component) ?? '';
  }

  /** Field n as text (all components of the first repetition). */
  text(field: number): string {
    return this.rep(field)?.text ?? '';
  }

  /** Whether field n holds anything. */
  has(field: number): boolean {
    return this.reps(field).length > 0;
  }
}

/** The segments of a message with their per-name sequence numbers. */
export function segmentsOf(message: Hl7Message): Seg[] {
  const counts = new Map<string, number>();
  return message.segments.map((segment, index) => {
    const n = (counts.get(segment.name) ?? 0) + 1;
    counts.set(segment.name, n);
    return new Seg(segment, n, index);
  });
}
