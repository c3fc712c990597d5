/**
 * Normalisation of demographic values before comparison (pure). Names follow French (Québec) usage:
 * accents and case never matter, apostrophes join (D'Amour = Damour), hyphens and spaces separate the
 * parts of compound names, St/Ste are Saint/Sainte, Mc is Mac.
 */

const DIACRITICS = /[\u0300-\u036f]/g;
const LIGATURES: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', đ: 'd', ł: 'l' };
const ABBREVIATIONS: Record<string, string> = { st: 'saint', ste: 'sainte', stes: 'saintes', sts: 'saints' };
/**
 * Generation suffixes, written in the name's own field, after the family or given name ("Tremblay Jr",
 * "Jean fils") or in HumanName.suffix. Two classes that name different people: the elder (Sr, père)
 * and the younger (Jr, fils, II), then III, IV. A suffix present in one source only says nothing.
 */
const SUFFIXES: Record<string, string> = {
  sr: 'sr', senior: 'sr', pere: 'sr',
  jr: 'jr', junior: 'jr', fils: 'jr', ii: 'jr',
  iii: 'iii', iv: 'iv',
};

/** The canonical suffix of a token ("Fils" → "jr", "III" → "iii"), or undefined. */
export function suffixOf(token: string): string | undefined {
  return SUFFIXES[token];
}

/**
 * A name's tokens without trailing generation suffixes (at least one token stays), and the suffix
 * found: ["tremblay", "jr"] → { tokens: ["tremblay"], suffix: "jr" }.
 */
export function splitSuffix(tokens: readonly string[]): { tokens: string[]; suffix?: string } {
  const out = [...tokens];
  let suffix: string | undefined;
  while (out.length > 1) {
    const s = suffixOf(out[out.length - 1] as string);
    if (!s) break;
    suffix ??= s;
    out.pop();
  }
  return suffix ? { tokens: out, suffix } : { tokens: out };
}

/** Particles that may be written, dropped or glued on: "De La Fontaine", "Lafontaine", "Fontaine". */
const PARTICLES = new Set(['de', 'du', 'des', 'la', 'le', 'les', 'd', 'l', 'van', 'von', 'der', 'den', 'di', 'da', 'del', 'dos']);

/** Lower case, no diacritics, ligatures spelled out. */
export function foldAccents(value: string): string {
  return value
    .toLowerCase()
    .normalize('NFD')
    .replace(DIACRITICS, '')
    .replace(/[œæßøđł]/g, (c) => LIGATURES[c] ?? c);
}

/**
 * The parts of a name: folded, apostrophes removed (joining what they separate), every other
 * non-letter a separator, abbreviations expanded. "St-Jean D'Arc" → ["saint", "jean", "darc"].
 */
export function nameTokens(value: string | undefined): string[] {
  if (!value) return [];
  const folded = foldAccents(value).replace(/['’‘`´]/g, '');
  const tokens: string[] = [];
  for (const raw of folded.split(/[^a-z]+/)) {
    if (!raw) continue;
    let token = ABBREVIATIONS[raw] ?? raw;
    if (token === 'mc') token = 'mac';
    else if (token.startsWith('mc') && token.length > 3) token = `mac${token.slice(2)}`;
    tokens.push(token);
  }
  return tokens;
}

/** The tokens without leading particles (at least one token always stays). */
export function withoutParticles(tokens: readonly string[]): string[] {
  let start = 0;
  while (start < tokens.length - 1 && PARTICLES.has(tokens[start] as string)) start++;
  return tokens.slice(start);
}

/** A name as one comparable string: "Saint-Pierre", "St Pierre" and "ST-PIERRE" all give "saintpierre". */
export function joinedName(value: string | undefined): string {
  return nameTokens(value).join('');
}

/** Digits only. */
function digits(value: string | undefined): string {
  return (value ?? '').replace(/\D+/g, '');
}

/** Canadian postal codes as "H2X1Y4"; other codes upper-cased without spaces. */
export function normalisePostalCode(value: string | undefined): string | undefined {
  const compact = foldAccents(value ?? '').replace(/[^a-z0-9]/g, '').toUpperCase();
  return compact || undefined;
}

/** The last ten digits of a phone number (North American numbers with or without the leading 1). */
export function normalisePhone(value: string | undefined): string | undefined {
  const d = digits(value);
  if (d.length < 7) return undefined;
  return d.length > 10 ? d.slice(-10) : d;
}

/** An identifier value without spaces, dashes or case: "TREM 5001 0112" → "TREM50010112". */
export function normaliseIdentifier(value: string | undefined): string | undefined {
  const compact = foldAccents(value ?? '').replace(/[^a-z0-9]/g, '').toUpperCase();
  return compact || undefined;
}

export function normaliseEmail(value: string | undefined): string | undefined {
  const trimmed = (value ?? '').trim().toLowerCase();
  return trimmed.includes('@') ? trimmed : undefined;
}

/** Free text such as a city or a street line: folded, single-spaced, abbreviations expanded. */
export function normaliseText(value: string | undefined): string | undefined {
  const text = foldAccents(value ?? '')
    .replace(/['’]/g, '')
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .map((t) => ABBREVIATIONS[t] ?? t)
    .join(' ');
  return text || undefined;
}

/** A date of birth as YYYY-MM-DD, or undefined when it is not a full date. */
export function normaliseDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^(\d{4})-?(\d{2})-?(\d{2})/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return undefined;
  return `${y}-${mo}-${d}`;
}
