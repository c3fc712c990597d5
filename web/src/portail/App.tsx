import { useEffect, useMemo, useState, type ReactElement } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { currentLang } from '../shared/i18n.js';
import { Layout } from '../shared/Layout.js';
import { useTitle } from '../shared/useTitle.js';
import { nameOf, usePatient } from './fhir.js';
import { Acces } from './pages/Acces.js';
import { Accueil } from './pages/Accueil.js';
import { Applications } from './pages/Applications.js';
import { Choix } from './pages/Choix.js';
import { Medicaments } from './pages/Medicaments.js';
import { Rapports } from './pages/Rapports.js';
import { RendezVous } from './pages/RendezVous.js';
import { Resultats } from './pages/Resultats.js';
import { Sante } from './pages/Sante.js';
import { Telecharger } from './pages/Telecharger.js';
import { navigate, ROUTES, routeOf, usePath, type RouteName } from './router.js';
import { Narrowed, PersonBar, showsPersonBar, useCurrentPerson, usePersons } from './People.js';
import { prefetchMain, prefetchRoute } from './queries.js';
import { SessionContext, useSession, type Session } from './session.js';
import { signIn, signOut, type SignIn } from './smart.js';

const NAV: readonly RouteName[] = ['home', 'appointments', 'results', 'reports', 'medications', 'health', 'access', 'choices', 'apps', 'download'];
const NAV_KEYS = { home: 'portal.nav.home', results: 'portal.nav.results', medications: 'portal.nav.medications', health: 'portal.nav.health', access: 'portal.nav.access', choices: 'portal.nav.choices', download: 'portal.nav.download', appointments: 'portal.nav.appointments', reports: 'portal.nav.reports', apps: 'portal.nav.apps' } as const;
const PAGES: Record<RouteName, () => ReactElement> = { home: Accueil, results: Resultats, medications: Medicaments, health: Sante, access: Acces, choices: Choix, download: Telecharger, appointments: RendezVous, reports: Rapports, apps: Applications };

function Nav() {
  const { t } = useTranslation();
  const { client, patientId } = useSession();
  const queries = useQueryClient();
  const narrowed = useCurrentPerson()?.access === 'narrowed';
  const prefetch = (name: RouteName) => { if (!narrowed) prefetchRoute(queries, name, client, patientId); };
  const path = usePath();
  const active = routeOf(path);
  return (
    <nav className="tabs" aria-label={t('portal.nav.label')}>
      <ul>
        {NAV.map((name) => (
          <li key={name}>
            <a
              href={ROUTES[name]}
              aria-current={active === name ? 'page' : undefined}
              onPointerEnter={() => prefetch(name)}
              onFocus={() => prefetch(name)}
              onClick={(event) => {
                if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
                event.preventDefault();
                navigate(ROUTES[name]);
              }}
            >
              {t(NAV_KEYS[name])}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Who() {
  const { t } = useTranslation();
  const patient = usePatient();
  const persons = usePersons();
  const { patientId } = useSession();
  // For someone acting for others, the person bar under the banner says whose record it is (and switches).
  if (!patient.data || (persons.data && showsPersonBar(persons.data.persons, patientId))) return null;
  return <span className="who">{t('portal.recordOf')} <strong>{nameOf(patient.data)}</strong></span>;
}

/** The pages a parent still uses when a minor's record has become theirs (access/minors.ts on the server). */
const NARROWED_PAGES: readonly RouteName[] = ['appointments'];

function SignedIn() {
  const { t } = useTranslation();
  const session = useSession();
  const route = routeOf(usePath());
  const Current = route ? PAGES[route] : NotFound;
  const person = useCurrentPerson();
  const narrowed = person?.access === 'narrowed' && route !== undefined && !NARROWED_PAGES.includes(route);
  const queries = useQueryClient();
  const ready = usePatient().isSuccess;
  const known = usePersons().isFetched;
  useEffect(() => {
    // Once the first page has its person, the other main pages' data in the background (not for a record that is not theirs to read).
    if (!ready || !known || person?.access === 'narrowed') return;
    const timer = setTimeout(() => prefetchMain(queries, session.client, session.patientId), 300);
    return () => clearTimeout(timer);
  }, [ready, known, person?.access, queries, session]);
  return (
    <Layout
      home="/portail/"
      appName={t('portal.appName')}
      actions={<><Who /><button type="button" className="link-button" onClick={session.signOut}>{t('portal.logout')}</button></>}
      nav={<><PersonBar /><Nav /></>}
    >
      {narrowed && person ? <Narrowed entry={person} {...(route !== 'home' ? { page: t(NAV_KEYS[route]) } : {})} /> : <Current />}
    </Layout>
  );
}

function NotFound() {
  const { t } = useTranslation();
  useTitle(t('common.notFound'));
  return (
    <div className="page">
      <h1>{t('common.notFound')}</h1>
      <p><a href="/portail/">{t('common.backHome')}</a></p>
    </div>
  );
}

/** Before the session: signing in (announced), or why it failed with a way to start again. */
function Gate(props: { state: SignIn | undefined }) {
  const { t } = useTranslation();
  const failed = props.state?.kind === 'failed';
  useTitle(failed ? t('portal.signInFailed') : t('portal.signingIn'));
  return (
    <Layout home="/" appName={t('portal.appName')}>
      <div className="page">
        {failed ? (
          <div role="alert">
            <h1>{t('portal.signInFailed')}</h1>
            <p><a className="button" href="/portail/">{t('portal.signInAgain')}</a></p>
          </div>
        ) : (
          <h1 role="status">{t('portal.signingIn')}</h1>
        )}
      </div>
    </Layout>
  );
}

export function App() {
  const [state, setState] = useState<SignIn>();
  useEffect(() => {
    let live = true;
    void signIn(currentLang).then((result) => { if (live) setState(result); });
    return () => { live = false; };
  }, []);
  const session = useMemo<Session | undefined>(() => {
    if (state?.kind !== 'signed-in') return undefined;
    const client = state.client;
    return { client, patientId: client.getPatientId() ?? '', signOut: () => void signOut(client) };
  }, [state]);
  if (!session) return <Gate state={state} />;
  return (
    <SessionContext.Provider value={session}>
      <SignedIn />
    </SessionContext.Provider>
  );
}
