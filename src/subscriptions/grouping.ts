import { matchingPlan, patientKeys } from './spec.js';

/**
 * How the candidates of a batch share their searches (pure). Thousands of subscriptions usually differ
 * only by the patient they pin (`Observation?patient=Patient/X&category=laboratory`, one per patient of a
 * clinic): running each one's search is thousands of statements per batch of events. Candidates with the
 * same owner (so the same visibility), the same type and the same criteria apart from the pinned
 * patients form one group, and the group runs one search — the shared criteria with the pinned
 * parameter naming every patient of the group the batch touched. Each member then takes the matches of
 * its own patients.
 *
 * That is exact: a pinned parameter (patientKeys) is the element that decides the Patient compartment,
 * so a matched resource whose compartment is one of a member's patients refers to that patient through
 * the pinned parameter, which is what the member's own criteria asked.
 */

/** The parameter of `criteria` that pins `keys` (its name, e.g. `patient` or `subject`) and the criteria without it. */
export interface Pinned {
  readonly name: string;
  readonly rest: string;
}

/**
 * Which entry of the criteria pins the subscription's patients: the `patient`/`subject` entry whose own
 * patient keys are the subscription's. Undefined when none does (the subscription is then grouped only
 * with identical criteria).
 */
export function pinnedParameter(resourceType: string, criteria: string, keys: readonly string[], baseUrl: string): Pinned | undefined {
  const entries = [...new URLSearchParams(criteria).entries()];
  const wanted = [...keys].sort().join(',');
  for (let i = 0; i < entries.length; i++) {
    const [name, value] = entries[i] as [string, string];
    const base = name.split(':')[0] as string;
    if (base !== 'patient' && base !== 'subject') continue;
    const alone = patientKeys(matchingPlan(resourceType, new URLSearchParams([[name, value]]).toString(), baseUrl, 1));
    if (alone?.join(',') !== wanted) continue;
    return { name: base, rest: new URLSearchParams(entries.filter((_, k) => k !== i)).toString() };
  }
  return undefined;
}

export interface Candidate {
  readonly id: string;
  readonly resourceType: string;
  readonly criteria: string;
  readonly patientKeys: readonly string[] | null;
}

export interface MatchGroup<S extends Candidate> {
  readonly resourceType: string;
  /** The criteria shared by every member (without the pinned parameter when `pinned`). */
  readonly criteria: string;
  /** The name of the pinned parameter (`patient`, `subject`), when members differ by their patients. */
  readonly pinned: string | undefined;
  readonly ownerKey: string;
  readonly members: S[];
}

/** Groups candidates by owner, type and shared criteria. `ownerKey` names the owner's access; `pinnedOf` is pinnedParameter, cached by the caller. */
export function groupCandidates<S extends Candidate>(
  candidates: readonly S[], ownerKey: (s: S) => string, pinnedOf: (s: S) => Pinned | undefined,
): MatchGroup<S>[] {
  const groups = new Map<string, MatchGroup<S>>();
  for (const sub of candidates) {
    const pin = sub.patientKeys ? pinnedOf(sub) : undefined;
    const criteria = pin ? pin.rest : sub.criteria;
    const owner = ownerKey(sub);
    const key = JSON.stringify([owner, sub.resourceType, pin?.name ?? null, criteria]);
    let group = groups.get(key);
    if (!group) {
      group = { resourceType: sub.resourceType, criteria, pinned: pin?.name, ownerKey: owner, members: [] };
      groups.set(key, group);
    }
    group.members.push(sub);
  }
  return [...groups.values()];
}

/** The search a group runs for a batch: its shared criteria, and the pinned parameter naming `patients` (those of the batch). */
export function groupSearch(group: Pick<MatchGroup<Candidate>, 'criteria' | 'pinned'>, patients: readonly string[]): string {
  if (!group.pinned) return group.criteria;
  const params = new URLSearchParams(group.criteria);
  params.append(group.pinned, [...patients].sort().join(','));
  return params.toString();
}

/**
 * The searches a group runs for a batch, each with the patients it names: one, or — a search takes at
 * most SEARCH_LIMITS.valuesPerParameter values per parameter — one per slice of that many patients.
 */
export function groupSearches(group: Pick<MatchGroup<Candidate>, 'criteria' | 'pinned'>, patients: readonly string[], perSearch: number): { criteria: string; patients: readonly string[] }[] {
  if (!group.pinned) return [{ criteria: group.criteria, patients }];
  const sorted = [...new Set(patients)].sort();
  const out: { criteria: string; patients: readonly string[] }[] = [];
  for (let i = 0; i < sorted.length; i += perSearch) {
    const slice = sorted.slice(i, i + perSearch);
    out.push({ criteria: groupSearch(group, slice), patients: slice });
  }
  return out;
}
