import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Layout } from '../shared/Layout.js';
import { useTitle } from '../shared/useTitle.js';

interface DemoLogin {
  readonly username: string;
  readonly password: string;
  readonly role: string;
  readonly totp: boolean;
}

/** The demo logins, which the server lists only in demo mode (a 404 otherwise: nothing is shown). */
function useDemoLogins(): DemoLogin[] {
  const [logins, setLogins] = useState<DemoLogin[]>([]);
  useEffect(() => {
    let live = true;
    fetch('/demo/logins', { headers: { accept: 'application/json' } })
      .then(async (r) => (r.ok ? ((await r.json()) as { logins?: DemoLogin[] }).logins ?? [] : []))
      .then((found) => { if (live) setLogins(found); })
      .catch(() => undefined);
    return () => { live = false; };
  }, []);
  return logins;
}

const ROLES = ['patient', 'proxy', 'physician', 'nurse', 'pharmacist', 'researcher', 'admin', 'privacy-officer'] as const;

export function Landing() {
  const { t } = useTranslation();
  useTitle(t('landing.title'));
  const logins = useDemoLogins();
  const roleName = (role: string) => (ROLES as readonly string[]).includes(role) ? t(`landing.roles.${role as (typeof ROLES)[number]}`) : role;
  return (
    <Layout home="/">
      <div className="page">
        <h1>{t('landing.title')}</h1>
        <p className="lead">{t('landing.lead')}</p>
        <ul className="points">
          <li>{t('landing.points.see')}</li>
          <li>{t('landing.points.choose')}</li>
          <li>{t('landing.points.log')}</li>
        </ul>
        <section aria-labelledby="apps-title">
          <h2 id="apps-title">{t('landing.appsTitle')}</h2>
          <ul className="cards">
            <li className="card">
              <a className="card-link" href="/portail/">{t('landing.portal')}</a>
              <p>{t('landing.portalDesc')}</p>
            </li>
            <li className="card">
              <a className="card-link" href="/clinique/">{t('landing.clinic')}</a>
              <p>{t('landing.clinicDesc')}</p>
            </li>
          </ul>
        </section>
        {logins.length > 0 && (
          <section aria-labelledby="demo-title" className="demo">
            <h2 id="demo-title">{t('landing.demoTitle')}</h2>
            <p>{t('landing.demoIntro')}</p>
            <ul className="logins">
              {logins.map((login) => (
                <li key={login.username} className="item">
                  <h3>{login.username === 'parent' ? t('landing.roles.parent') : roleName(login.role)}</h3>
                  <dl>
                    <div><dt>{t('landing.demoUser')}</dt><dd><code>{login.username}</code></dd></div>
                    <div><dt>{t('landing.demoPassword')}</dt><dd><code>{login.password}</code></dd></div>
                    <div><dt>{t('landing.demoTotp')}</dt><dd>{login.totp ? t('landing.demoTotpYes') : t('landing.demoTotpNo')}</dd></div>
                  </dl>
                </li>
              ))}
            </ul>
            <p className="note">{t('common.demoNotice')}</p>
          </section>
        )}
      </div>
    </Layout>
  );
}
