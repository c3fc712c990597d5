import { useEffect, useMemo, useState, type ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { currentLang } from '../shared/i18n.js';
import { Layout } from '../shared/Layout.js';
import { Page } from '../shared/Page.js';
import { followLink, usePath } from '../shared/router.js';
import { Audit } from './pages/Audit.js';
import { Inbox } from './pages/Inbox.js';
import { Jobs } from './pages/Jobs.js';
import { InboxLiveProvider } from './inbox-live.js';
import { DeadLetters } from './pages/DeadLetters.js';
import { PatientPage } from './pages/PatientPage.js';
import { Review } from './pages/Review.js';
import { Search } from './pages/Search.js';
import { Welcome } from './pages/Welcome.js';
import { claimsOf, sectionsOf, type Section } from './roles.js';
import { parseRoute, PATHS, SECTION_PATHS, sectionOf, type Route } from './routes.js';
import { SessionContext, useSession, type ClinicSession } from './session.js';
import { signIn, signOut, wasSignedIn, type SignIn } from './smart.js';

const SECTION_KEYS = { patients: 'clinic.nav.patients', inbox: 'clinic.nav.inbox', audit: 'clinic.nav.audit', mpi: 'clinic.nav.mpi', hl7: 'clinic.nav.hl7', jobs: 'clinic.nav.jobs' } as const;

function Nav(props: { route: Route }) {
  const { t } = useTranslation();
  const { sections } = useSession();
  const active = sectionOf(props.route);
  return (
    <nav className="tabs" aria-label={t('clinic.nav.label')}>
      <ul>
        {sections.map((section) => (
          <li key={section}>
            <a href={SECTION_PATHS[section]} aria-current={active === section && props.route.name !== 'patient' ? 'page' : undefined} onClick={(e) => followLink(e, SECTION_PATHS[section])}>
              {t(SECTION_KEYS[section])}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function NotForRole() {
  const { t } = useTranslation();
  return <Page title={t('clinic.notForRole.title')}><p>{t('clinic.notForRole.text')}</p></Page>;
}

function NoSection() {
  const { t } = useTranslation();
  return <Page title={t('clinic.noSection.title')}><p>{t('clinic.noSection.text')}</p><p><a href="/">{t('common.backHome')}</a></p></Page>;
}

function NotFound() {
  const { t } = useTranslation();
  return <Page title={t('common.notFound')}><p><a href={PATHS.home}>{t('common.backHome')}</a></p></Page>;
}

function Current(props: { route: Route }): ReactElement {
  const { sections } = useSession();
  const { route } = props;
  const section = sectionOf(route);
  if (route.name === 'home') {
    const first = sections[0];
    return first ? <Home section={first} /> : <NoSection />;
  }
  if (route.name === 'not-found') return <NotFound />;
  if (section && !sections.includes(section)) return <NotForRole />;
  switch (route.name) {
    case 'patients': return <Search />;
    case 'patient': return <PatientPage id={route.id} tab={route.tab} />;
    case 'inbox': return <Inbox />;
    case 'audit': return <Audit />;
    case 'mpi': return <Review />;
    case 'hl7': return <DeadLetters />;
    case 'jobs': return <Jobs />;
  }
}

/** /clinique/ opens the first section of the role (patients, the audit trail, the review queue). */
function Home(props: { section: Section }) {
  switch (props.section) {
    case 'patients': return <Search />;
    case 'inbox': return <Inbox />;
    case 'audit': return <Audit />;
    case 'mpi': return <Review />;
    case 'hl7': return <DeadLetters />;
    case 'jobs': return <Jobs />;
  }
}

function SignedIn() {
  const { t } = useTranslation();
  const session = useSession();
  const route = parseRoute(usePath());
  return (
    <Layout
      home={PATHS.home}
      appName={t('clinic.title')}
      actions={<>
        <span className="who">{[session.name, t(`landing.roles.${session.role}` as 'landing.roles.physician')].filter((x, i, all) => x && all.indexOf(x) === i).join(' · ')}</span>
        <button type="button" className="link-button" onClick={session.signOut}>{t('clinic.logout')}</button>
      </>}
      nav={<Nav route={route} />}
    >
      <Current route={route} />
    </Layout>
  );
}

function Gate(props: { state: SignIn | undefined; onStart?: () => void }) {
  const { t } = useTranslation();
  if (props.state?.kind === 'failed') {
    return (
      <Layout home="/" appName={t('clinic.title')}>
        <Page title={t('clinic.signInFailed')}>
          <div role="alert" className="alert"><p>{props.state.message}</p></div>
          <p><a className="button" href={PATHS.home}>{t('clinic.signInAgain')}</a></p>
        </Page>
      </Layout>
    );
  }
  return (
    <Layout home="/" appName={t('clinic.title')}>
      <Page title={t('clinic.signingIn')}><p role="status">{t('common.loading')}</p></Page>
    </Layout>
  );
}

export function App() {
  const [state, setState] = useState<SignIn>();
  const [welcome, setWelcome] = useState(!wasSignedIn());
  useEffect(() => {
    if (welcome) return undefined;
    let live = true;
    void signIn(currentLang).then((result) => { if (live) setState(result); });
    return () => { live = false; };
  }, [welcome]);
  const session = useMemo<ClinicSession | undefined>(() => {
    if (state?.kind !== 'signed-in') return undefined;
    const client = state.client;
    const claims = claimsOf(client.state.tokenResponse?.access_token);
    return { client, role: claims.role ?? '', name: claims.name ?? '', ...(claims.fhirUser ? { fhirUser: claims.fhirUser } : {}), sections: sectionsOf(claims.role), signOut: () => { sessionStorage.removeItem('carnet.clinique.active'); void signOut(client); } };
  }, [state]);
  if (welcome) return <Welcome onSignIn={() => setWelcome(false)} />;
  if (!session) return <Gate state={state} />;
  return (
    <SessionContext.Provider value={session}>
      {session.sections.includes('inbox') ? <InboxLiveProvider><SignedIn /></InboxLiveProvider> : <SignedIn />}
    </SessionContext.Provider>
  );
}
