import type { Section } from './roles.js';

/** The workspace's addresses (pure): each page has its own, bookmarkable, under /clinique/. */
export type PatientTab = 'summary' | 'timeline' | 'results' | 'medications' | 'documents';

export type Route =
  | { readonly name: 'home' }
  | { readonly name: 'patients' }
  | { readonly name: 'patient'; readonly id: string; readonly tab: PatientTab }
  | { readonly name: 'inbox' }
  | { readonly name: 'audit' }
  | { readonly name: 'mpi' }
  | { readonly name: 'hl7' }
  | { readonly name: 'jobs' }
  | { readonly name: 'not-found' };

const TABS: Record<string, PatientTab> = { '': 'summary', chronologie: 'timeline', resultats: 'results', medicaments: 'medications', documents: 'documents' };
const TAB_PATHS: Record<PatientTab, string> = { summary: '', timeline: '/chronologie', results: '/resultats', medications: '/medicaments', documents: '/documents' };

export const PATHS = {
  home: '/clinique/',
  patients: '/clinique/patients',
  inbox: '/clinique/notifications',
  audit: '/clinique/audit',
  mpi: '/clinique/mpi',
  hl7: '/clinique/hl7',
  jobs: '/clinique/travaux',
  patient: (id: string, tab: PatientTab = 'summary') => `/clinique/patient/${encodeURIComponent(id)}${TAB_PATHS[tab]}`,
} as const;

export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '');
  if (path === '/clinique' || path === '') return { name: 'home' };
  if (path === '/clinique/notifications') return { name: 'inbox' };
  if (path === '/clinique/travaux') return { name: 'jobs' };
  const simple = /^\/clinique\/(patients|audit|mpi|hl7)$/.exec(path);
  if (simple) return { name: simple[1] as 'patients' | 'audit' | 'mpi' | 'hl7' };
  const patient = /^\/clinique\/patient\/([A-Za-z0-9\-.]{1,64})(?:\/([a-z]+))?$/.exec(path);
  if (patient) {
    const tab = TABS[patient[2] ?? ''];
    if (tab) return { name: 'patient', id: patient[1] as string, tab };
  }
  return { name: 'not-found' };
}

/** The menu section a route belongs to (a role without it is told so, and the API would refuse anyway). */
export function sectionOf(route: Route): Section | undefined {
  switch (route.name) {
    case 'patients':
    case 'patient':
      return 'patients';
    case 'inbox':
      return 'inbox';
    case 'jobs':
      return 'jobs';
    case 'audit':
    case 'mpi':
    case 'hl7':
      return route.name;
    default:
      return undefined;
  }
}

export const SECTION_PATHS: Record<Section, string> = { patients: PATHS.patients, inbox: PATHS.inbox, audit: PATHS.audit, mpi: PATHS.mpi, hl7: PATHS.hl7, jobs: PATHS.jobs };
