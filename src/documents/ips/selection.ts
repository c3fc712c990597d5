import type { Resource } from '@medplum/fhirtypes';
import { refOf } from './facts.js';
import { medicationLines } from './medications.js';
import { SELECTORS, type SummaryRules } from './rules.js';
import { SECTIONS, type SectionDef } from './sections.js';

/**
 * What each section holds for this reader: the rules applied to what they may see, and — the same rules
 * applied to everything — whether the person's consent withheld entries the section would have shown.
 * Hidden resources are used for that yes/no only; nothing of them reaches the document.
 */
export interface SectionContent {
  readonly def: SectionDef;
  readonly entries: readonly Resource[];
  readonly withheld: boolean;
}

export interface Selection {
  readonly sections: readonly SectionContent[];
  /** Resources entries refer to that belong in the Bundle without being entries (a statement's sources). */
  readonly supporting: readonly Resource[];
}

export interface SelectionInput {
  readonly visible: readonly Resource[];
  readonly hidden: readonly Resource[];
  readonly rules: SummaryRules;
  readonly now: Date;
  /** The reference generated statements give as their subject. */
  readonly subject: string;
  /** The id of a generated MedicationStatement from its medication's key (stable across summaries). */
  readonly idFor: (key: string) => string;
}

export function selectSections(input: SelectionInput): Selection {
  const { visible, hidden, rules, now } = input;
  const hiddenRefs = new Set(hidden.map(refOf));
  const everything = hidden.length > 0 ? [...visible, ...hidden] : visible;
  const sections: SectionContent[] = [];
  const supporting = new Map<string, Resource>();
  for (const def of SECTIONS) {
    if (def.key === 'medications') {
      const lines = medicationLines(visible, rules, now, input.subject, input.idFor);
      const shown = new Set(lines.map((l) => l.statement.id));
      const withheld = hidden.length > 0 && medicationLines(everything, rules, now, input.subject, input.idFor)
        .some((l) => !shown.has(l.statement.id) || l.sources.some((s) => hiddenRefs.has(refOf(s))));
      for (const line of lines) for (const s of line.sources) supporting.set(refOf(s), s);
      sections.push({ def, entries: lines.map((l) => l.statement), withheld });
      continue;
    }
    const select = SELECTORS[def.key];
    const entries = select(visible, rules, now);
    const withheld = hidden.length > 0 && select(everything, rules, now).some((e) => hiddenRefs.has(refOf(e)));
    sections.push({ def, entries, withheld });
  }
  return { sections, supporting: [...supporting.values()] };
}
