import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from './LanguageSwitch.js';

/**
 * The frame every Carnet page shares: a skip link, a banner with the product name and the language switch
 * (plus what the app adds), the main landmark the skip link targets, and a footer. Native elements only:
 * their semantics and keyboard behaviour come with the browser and cost no JavaScript.
 */
export function Layout(props: { appName?: string; home: string; actions?: ReactNode; nav?: ReactNode; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <>
      <a className="skip-link" href="#main">{t('common.skip')}</a>
      <header className="banner">
        <div className="banner-inner">
          <a className="brand" href={props.home}>
            <span aria-hidden="true" className="brand-mark">C</span>
            <span>{t('common.brand')}{props.appName ? <span className="brand-app"> · {props.appName}</span> : null}</span>
          </a>
          <div className="banner-actions">
            {props.actions}
            <LanguageSwitch />
          </div>
        </div>
        {props.nav}
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
      <footer className="footer">
        <p>{t('common.footer')} <a href="/fhir/metadata">/fhir/metadata</a></p>
      </footer>
    </>
  );
}
