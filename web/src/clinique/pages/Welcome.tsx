import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Layout } from '../../shared/Layout.js';
import { Page } from '../../shared/Page.js';

interface DemoLogin {
  readonly username: string;
  readonly password: string;
  readonly role: string;
}

const WORKSPACE_ROLES = ['physician', 'nurse', 'pharmacist', 'privacy-officer', 'admin'] as const;

/** In demo mode the server lists the demo logins and the demo second factor's current code (404 otherwise). */
function useDemo(): { logins: DemoLogin[]; code?: string } {
  const [demo, setDemo] = useState<{ logins: DemoLogin[]; code?: string }>({ logins: [] });
  useEffect(() => {
    let live = true;
    const load = () => fetch('/demo/logins', { headers: { accept: 'application/json' } })
      .then(async (r) => (r.ok ? ((await r.json()) as { logins?: DemoLogin[]; totpCode?: string }) : {}))
      .then((body) => { if (live) setDemo({ logins: (body.logins ?? []).filter((l) => (WORKSPACE_ROLES as readonly string[]).includes(l.role)), ...(body.totpCode ? { code: body.totpCode } : {}) }); })
      .catch(() => undefined);
    void load();
    const timer = setInterval(() => void load(), 10_000);
    return () => { live = false; clearInterval(timer); };
  }, []);
  return demo;
}

/** Before signing in: what the workspace is, the sign-in button and, in demo mode, the accounts to try. */
export function Welcome(props: { onSignIn: () => void }) {
  const { t } = useTranslation();
  const demo = useDemo();
  return (
    <Layout home="/" appName={t('clinic.title')}>
      <Page title={t('clinic.title')}>
        <p className="lead">{t('clinic.lead')}</p>
        <p><button type="button" className="button" onClick={props.onSignIn}>{t('clinic.signIn')}</button></p>
        {demo.logins.length > 0 && (
          <section aria-labelledby="demo-title" className="demo">
            <h2 id="demo-title">{t('landing.demoTitle')}</h2>
            <p>{t('clinic.demoIntro')}</p>
            {demo.code && <p className="status" aria-live="polite">{t('clinic.demoCode')} <strong><code>{demo.code}</code></strong></p>}
            <ul className="logins">
              {demo.logins.map((login) => (
                <li key={login.username} className="item">
                  <h3>{t(`landing.roles.${login.role as (typeof WORKSPACE_ROLES)[number]}`)}</h3>
                  <dl>
                    <div><dt>{t('landing.demoUser')}</dt><dd><code>{login.username}</code></dd></div>
                    <div><dt>{t('landing.demoPassword')}</dt><dd><code>{login.password}</code></dd></div>
                  </dl>
                  <p>{t(`clinic.demoSees.${login.role as (typeof WORKSPACE_ROLES)[number]}`)}</p>
                </li>
              ))}
            </ul>
            <p className="note">{t('common.demoNotice')}</p>
          </section>
        )}
      </Page>
    </Layout>
  );
}
