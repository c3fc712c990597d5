import { useTranslation } from 'react-i18next';
import { currentLang, switchLang } from './i18n.js';

/** The other language's name, in that language (and marked so, for screen readers). */
export function LanguageSwitch() {
  const { t } = useTranslation();
  const other = currentLang() === 'fr' ? 'en' : 'fr';
  return (
    <button type="button" className="link-button" lang={other === 'en' ? 'en-CA' : 'fr-CA'} onClick={() => switchLang(other)}>
      {t('common.switchTo')}
    </button>
  );
}
