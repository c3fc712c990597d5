import { hasNavigated, navigate, usePath } from '../shared/router.js';

/**
 * A router of a few lines (the portal's pages are a fixed list): paths under /portail/, links that push
 * history, and the back button. Page changes move focus to the new page's heading (Page.tsx).
 */
export const ROUTES = { home: '/portail/', results: '/portail/resultats', medications: '/portail/medicaments', health: '/portail/sante', access: '/portail/acces', choices: '/portail/choix', download: '/portail/telecharger', appointments: '/portail/rendez-vous', reports: '/portail/rapports', apps: '/portail/applications' } as const;
export type RouteName = keyof typeof ROUTES;

const trim = (path: string) => path.replace(/\/+$/, '');

export function routeOf(pathname: string): RouteName | undefined {
  return (Object.keys(ROUTES) as RouteName[]).find((name) => trim(ROUTES[name]) === trim(pathname));
}

// Navigation itself is shared with the other apps (shared/router.ts).
export { hasNavigated, navigate, usePath };
