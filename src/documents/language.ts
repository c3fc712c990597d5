/**
 * The language a document or timeline is written in: `_language` first, then `Accept-Language` (with its
 * q-values), français by default — Carnet serves Québec first.
 */
export type Lang = 'fr' | 'en';

export const LANGUAGES: readonly Lang[] = ['fr', 'en'];

function primary(tag: string): Lang | undefined {
  const p = tag.trim().toLowerCase().split('-')[0];
  return p === 'fr' || p === 'en' ? p : undefined;
}

/** Throws nothing: an unsupported `_language` is the caller's to refuse (see requestLanguage). */
export function negotiateLanguage(explicit: string | null | undefined, acceptLanguage: string | undefined): Lang | undefined {
  if (explicit) return primary(explicit);
  if (!acceptLanguage) return 'fr';
  const ranges = acceptLanguage.split(',').map((part, index) => {
    const [tag = '', ...params] = part.split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { tag: tag.trim(), q: q ? Number(q.slice(2)) : 1, index };
  }).filter((r) => r.tag && Number.isFinite(r.q) && r.q > 0);
  ranges.sort((a, b) => b.q - a.q || a.index - b.index);
  for (const r of ranges) {
    const lang = r.tag === '*' ? 'fr' : primary(r.tag);
    if (lang) return lang;
  }
  return 'fr';
}

/** A BCP 47 tag for `language` elements (Carnet writes Canadian French and English). */
export function languageTag(lang: Lang): string {
  return lang === 'fr' ? 'fr-CA' : 'en-CA';
}

export type Bilingual = Readonly<Record<Lang, string>>;
