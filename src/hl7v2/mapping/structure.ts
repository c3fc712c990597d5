import type { Seg } from '../message/segments.js';

/**
 * Segment groups without a full HL7 grammar: a group starts at an anchor segment (PID, ORC/OBR, OBX…) and
 * holds everything up to the next anchor. Anchors listed together open one group when they follow each
 * other in list order (ORC then OBR is one order, OBR after OBR is a new one).
 */
export interface Split {
  /** Segments before the first anchor. */
  readonly head: readonly Seg[];
  readonly groups: readonly (readonly Seg[])[];
}

export function splitAt(segments: readonly Seg[], anchors: readonly string[]): Split {
  const head: Seg[] = [];
  const groups: Seg[][] = [];
  let current: Seg[] | undefined;
  for (const seg of segments) {
    const rank = anchors.indexOf(seg.name);
    if (rank >= 0) {
      const joins = current !== undefined && current.length > 0
        && current.every((s) => {
          const r = anchors.indexOf(s.name);
          return r >= 0 && r < rank;
        });
      if (!joins) {
        current = [];
        groups.push(current);
      }
      (current as Seg[]).push(seg);
      continue;
    }
    (current ?? head).push(seg);
  }
  return { head, groups };
}

export function first(segments: readonly Seg[], name: string): Seg | undefined {
  return segments.find((s) => s.name === name);
}

export function all(segments: readonly Seg[], name: string): Seg[] {
  return segments.filter((s) => s.name === name);
}

/** NTE segments directly attached to a group (before any nested anchor). */
export function notes(segments: readonly Seg[]): { text: string }[] | undefined {
  const list = segments.filter((s) => s.name === 'NTE').map((s) => s.reps(3).map((r) => r.text).join('\n').trim()).filter(Boolean);
  return list.length ? list.map((text) => ({ text })) : undefined;
}
