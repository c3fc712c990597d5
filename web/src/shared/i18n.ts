import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from '../i18n/en.json';
import fr from '../i18n/fr.json';

/**
 * Languages: French first (Québec's Charter of the French language), English on request; the choice is
 * remembered in this browser (localStorage, no cookie) and shared by every Carnet app on this origin.
 * Every string is in the catalogues (src/i18n/*.json); test/web/catalogues.test.ts fails on a key missing
 * from either language or used in code and absent from both.
 */
import { localeOf, type Lang } from './lang.js';

export { localeOf, type Lang };
const STORAGE_KEY = 'carnet.lang';

export function storedLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'fr';
  } catch {
    return 'fr';
  }
}

function applyToDocument(lang: Lang): void {
  document.documentElement.lang = localeOf(lang);
}

export function setupI18n(): typeof i18next {
  const lang = storedLang();
  void i18next.use(initReactI18next).init({
    resources: { fr: { translation: fr }, en: { translation: en } },
    lng: lang,
    // No silent fallback to the other language: a missing key shows itself (and the catalogue test fails).
    fallbackLng: false,
    interpolation: { escapeValue: false },
    initAsync: false,
  });
  applyToDocument(lang);
  return i18next;
}

export function currentLang(): Lang {
  return i18next.language === 'en' ? 'en' : 'fr';
}

export function switchLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Private browsing without storage: the switch still works for this page.
  }
  applyToDocument(lang);
  void i18next.changeLanguage(lang);
}
