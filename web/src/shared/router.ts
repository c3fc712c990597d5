import { useEffect, useState } from 'react';

/**
 * History navigation of a few lines, shared by the apps (each app names its own paths): links that push
 * history, the back button, and whether the person has moved between pages (the new page's heading then
 * takes the focus, shared/Page.tsx).
 */
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

/** The current path (and query), following pushes and the back button. */
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

/** A same-app link's click: navigate in place unless the person asked for a new tab or window. */
export function followLink(event: { metaKey: boolean; ctrlKey: boolean; shiftKey: boolean; button: number; preventDefault(): void }, to: string): void {
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(to);
}
