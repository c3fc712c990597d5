import { useEffect, useState } from 'react';

/**
 * A router of a few lines (the portal's pages are a fixed list): paths under /portail/, links that push
 * history, and the back button. Page changes move focus to the new page's heading (Page.tsx).
 */
export const ROUTES = { home: '/portail/', results: '/portail/resultats', medications: '/portail/medicaments', health: '/portail/sante', access: '/portail/acces', choices: '/portail/choix', download: '/portail/telecharger' } as const;
export type RouteName = keyof typeof ROUTES;

const trim = (path: string) => path.replace(/\/+$/, '');

export function routeOf(pathname: string): RouteName | undefined {
  return (Object.keys(ROUTES) as RouteName[]).find((name) => trim(ROUTES[name]) === trim(pathname));
}

let navigated = false;

/** Whether the person has moved between pages in this app (the new page's heading then takes focus). */
export function hasNavigated(): boolean {
  return navigated;
}

export function navigate(to: string): void {
  navigated = true;
  history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => {
      navigated = true;
      setPath(location.pathname);
    };
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return path;
}
