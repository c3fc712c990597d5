import { nameTokens } from '../../src/mpi/normalise.js';
import { compact, type MatchRecord } from '../../src/mpi/record.js';

/**
 * A synthetic Québec-like population for throughput measurements: frequent French given and family
 * names (Zipf-distributed, so that common names crowd blocks as Tremblay and Marie do), dates of birth,
 * postal codes, phones and NAMs built like the real ones, and duplicates from other "sources" with the
 * errors registration systems make. Deterministic for a seed. Not a substitute for real data: accuracy
 * figures on it are reported as such.
 */
const GIVEN_F = ['marie', 'julie', 'nathalie', 'isabelle', 'sophie', 'catherine', 'valerie', 'melanie', 'genevieve', 'stephanie', 'chantal', 'sylvie', 'josee', 'annie', 'karine', 'lea', 'emma', 'chloe', 'rosalie', 'florence', 'alice', 'juliette', 'charlotte', 'camille', 'zoe', 'beatrice', 'gabrielle', 'sarah', 'laurence', 'noemie', 'amelie', 'audrey', 'caroline', 'manon', 'louise', 'diane', 'lise', 'helene', 'francine', 'monique', 'nicole', 'ginette', 'johanne', 'suzanne', 'lucie', 'claire', 'jeanne', 'mireille', 'danielle', 'marie eve', 'marie claude', 'marie josee', 'marie pier', 'anne marie', 'marie france'];
const GIVEN_M = ['jean', 'pierre', 'michel', 'andre', 'luc', 'marc', 'daniel', 'francois', 'martin', 'eric', 'stephane', 'patrick', 'sebastien', 'mathieu', 'alexandre', 'simon', 'david', 'nicolas', 'guillaume', 'maxime', 'olivier', 'william', 'thomas', 'felix', 'samuel', 'gabriel', 'antoine', 'raphael', 'louis', 'noah', 'jacob', 'emile', 'charles', 'vincent', 'benoit', 'yves', 'claude', 'gilles', 'rejean', 'gaetan', 'serge', 'denis', 'robert', 'alain', 'rene', 'jacques', 'real', 'normand', 'jean francois', 'jean philippe', 'jean sebastien', 'louis philippe', 'marc andre', 'pier luc', 'jean guy'];
const FAMILY = ['tremblay', 'gagnon', 'roy', 'cote', 'bouchard', 'gauthier', 'morin', 'lavoie', 'fortin', 'gagne', 'ouellet', 'pelletier', 'belanger', 'levesque', 'bergeron', 'leblanc', 'paquette', 'girard', 'simard', 'boucher', 'caron', 'beaulieu', 'cloutier', 'dube', 'poirier', 'fournier', 'lapointe', 'leclerc', 'lefebvre', 'poulin', 'thibault', 'st pierre', 'nadeau', 'martin', 'landry', 'martel', 'bedard', 'grenier', 'lessard', 'bernier', 'richard', 'michaud', 'hebert', 'desjardins', 'couture', 'turcotte', 'lachance', 'parent', 'blais', 'gosselin', 'savard', 'proulx', 'beaudoin', 'demers', 'perreault', 'boudreau', 'lemieux', 'cyr', 'perron', 'dufour', 'dion', 'mercier', 'bolduc', 'berube', 'boisvert', 'langlois', 'menard', 'therrien', 'plante', 'bilodeau', 'blanchette', 'dussault', 'vachon', 'jean', 'marcoux', 'lambert', 'allard', 'charron', 'deschenes', 'thibodeau', 'arsenault', 'rousseau', 'brassard', 'godin', 'dumont', 'villeneuve', 'labelle', 'gingras', 'tardif', 'rioux', 'bourque', 'harvey', 'legault', 'vaillancourt', 'st onge', 'giroux', 'bisson', 'provost', 'lacroix', 'leduc', 'drouin', 'jacques', 'picard', 'dupuis', 'larouche', 'hamel', 'mailloux', 'chabot', 'pepin', 'ste marie', 'damour', 'mcdonald', 'o neil', 'de la fontaine', 'beauchemin', 'lalonde', 'trudel', 'laplante', 'carrier', 'guay', 'lebel', 'rheaume', 'sirois', 'doyon', 'fradette', 'bouffard', 'gilbert', 'lepage', 'morissette', 'noel', 'pare', 'paradis', 'renaud', 'sauve', 'tessier', 'vezina'];
const FSA_LETTERS = 'GHJKABCEGHJKLMNPRSTVXY';

export interface SyntheticRecord extends MatchRecord {
  readonly entity: number;
}

const SYLLABLES = ['ber', 'ge', 'ron', 'la', 'pointe', 'du', 'bois', 'ma', 'rin', 'che', 'val', 'lier', 'mont', 'gre', 'nier', 'fon', 'tai', 'ne', 'beau', 'lieu', 'cha', 'rest', 'vil', 'neu', 've', 'bru', 'net', 'tru', 'del', 'san', 'ter', 'ro', 'quin', 'tal', 'do', 'ri', 'ault', 'eau', 'in', 'ette', 'mar', 'cou', 'tu', 'gau', 'lan', 'gel', 'bou', 'cher', 'pa', 'quet'];

/** Cumulative Zipf weights (exponent s) over n ranks. */
function zipfTable(n: number, s: number): number[] {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  return weights.map((w) => (acc += w / total));
}
const tables = new Map<number, number[]>();
function zipf(random: () => number, n: number): number {
  let table = tables.get(n);
  if (!table) tables.set(n, (table = zipfTable(n, 0.9)));
  const u = random();
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((table[mid] as number) < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const pick = <T>(random: () => number, list: readonly T[]) => list[zipf(random, list.length)] as T;
/** Frequent names from the lists, and a long tail of made-up ones (real populations have thousands of surnames). */
function surname(random: () => number): string {
  if (random() < 0.55) return pick(random, FAMILY);
  const n = 2 + Math.floor(random() * 2);
  let name = '';
  for (let i = 0; i < n; i++) name += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
  return name;
}
function givenName(random: () => number, female: boolean): string {
  if (random() < 0.8) return pick(random, female ? GIVEN_F : GIVEN_M);
  return SYLLABLES[Math.floor(random() * SYLLABLES.length)] + (female ? 'ine' : 'ien');
}
const digit = (random: () => number) => String(Math.floor(random() * 10));
const pad = (n: number) => String(n).padStart(2, '0');

/** NAM sequence digits already given per 10-character prefix: real NAMs are unique, so are these. */
export type NamRegistry = Map<string, number>;

function base(random: () => number, entity: number, registry: NamRegistry): SyntheticRecord {
  const female = random() < 0.5;
  const given = givenName(random, female);
  const family = surname(random);
  const year = 1920 + Math.floor(random() * 105);
  const month = 1 + Math.floor(random() * 12);
  const day = 1 + Math.floor(random() * 28);
  const familyTokens = nameTokens(family);
  const prefix = `${familyTokens.join('').toUpperCase().padEnd(3, 'X').slice(0, 3)}${given.charAt(0).toUpperCase()}${String(year).slice(2)}${pad(month + (female ? 50 : 0))}${pad(day)}`;
  const sequence = registry.get(prefix) ?? 10 + Math.floor(random() * 10);
  registry.set(prefix, sequence + 1);
  const nam = `${prefix}${pad(sequence % 100)}`;
  const fsa = `${FSA_LETTERS.charAt(Math.floor(random() * 8))}${digit(random)}${FSA_LETTERS.charAt(Math.floor(random() * FSA_LETTERS.length))}`;
  return compact({
    id: `e${entity}`,
    entity,
    source: 'urn:bench:insurer',
    given: nameTokens(given),
    family: [familyTokens],
    birthDate: `${year}-${pad(month)}-${pad(day)}`,
    sex: female ? 'female' : 'male',
    nam,
    postalCode: `${fsa}${digit(random)}${FSA_LETTERS.charAt(Math.floor(random() * FSA_LETTERS.length))}${digit(random)}`,
    phone: random() < 0.7 ? `${['514', '438', '450', '418', '819'][Math.floor(random() * 5)]}555${digit(random)}${digit(random)}${digit(random)}${digit(random)}` : undefined,
  }) as unknown as SyntheticRecord;
}

function typo(random: () => number, word: string): string {
  if (word.length < 3) return word;
  const i = 1 + Math.floor(random() * (word.length - 2));
  const kind = random();
  if (kind < 0.33) return word.slice(0, i) + word.slice(i + 1);
  if (kind < 0.66) return word.slice(0, i) + word.charAt(i + 1) + word.charAt(i) + word.slice(i + 2);
  return word.slice(0, i) + 'aeioulnrst'.charAt(Math.floor(random() * 10)) + word.slice(i + 1);
}

/** A duplicate as another source would register it: one to three realistic errors. */
export function perturb(random: () => number, record: SyntheticRecord, id: string, source: string): SyntheticRecord {
  let r: Record<string, unknown> = { ...record, id, source };
  const errors = 1 + Math.floor(random() * 3);
  for (let e = 0; e < errors; e++) {
    const kind = Math.floor(random() * 9);
    if (kind === 0) r.given = (r.given as string[]).map((t, i) => (i === 0 ? typo(random, t) : t));
    else if (kind === 1) r.family = (r.family as string[][]).map((f) => [typo(random, f.join(''))]);
    else if (kind === 2 && r.birthDate) {
      const [y, m, d] = (r.birthDate as string).split('-');
      r.birthDate = Number(d) <= 12 ? `${y}-${d}-${m}` : `${y}-${m}-${pad(Math.max(1, (Number(d) + 1) % 29))}`;
    } else if (kind === 3) delete r.nam;
    else if (kind === 4 && r.nam) r.nam = typo(random, r.nam as string);
    else if (kind === 5) delete r.phone;
    else if (kind === 6) r.postalCode = `${(r.postalCode as string).slice(0, 3)}${digit(random)}A${digit(random)}`;
    else if (kind === 7 && r.sex === 'female') r.family = [...(r.family as string[][]), nameTokens(surname(random))];
    else if (kind === 8 && random() < 0.3) r = { ...r, given: (r.family as string[][])[0], family: [r.given] };
  }
  return compact(r) as unknown as SyntheticRecord;
}

/** `persons` distinct people, `duplicateShare` of them also registered by a second source. */
export function population(random: () => number, persons: number, duplicateShare: number, registry: NamRegistry = new Map()): SyntheticRecord[] {
  const out: SyntheticRecord[] = [];
  for (let i = 0; i < persons; i++) {
    const person = base(random, i, registry);
    out.push(person);
    if (random() < duplicateShare) out.push(perturb(random, person, `e${i}d`, 'urn:bench:clinic'));
  }
  return out;
}

export { base as syntheticPerson };
