/** The two languages of Carnet's apps (pure: shared by the browser code and the unit tests). */
export type Lang = 'fr' | 'en';

/** The BCP 47 tag for the html element and Intl formatting: Canadian French and English. */
export function localeOf(lang: Lang): string {
  return lang === 'en' ? 'en-CA' : 'fr-CA';
}
