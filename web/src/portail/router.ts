import { useEffect, useState } from 'react';

/**
 * A router of a few lines (the portal's pages are a fixed list): paths under /portail/, links that push
 * history, and the back button. Page changes move focus to the new page's heading (Page.tsx).
 */
export const ROUTES = { home: '/portail/' } as const;
export type RouteName = keyof typeof ROUTES;

export function routeOf(pathname: string): RouteName | undefined {
  const path = pathname.endsWith('/') ? pathname : `${pathname}/`;
  return (Object.keys(ROUTES) as RouteName[]).find((name) => ROUTES[name] === path);
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
