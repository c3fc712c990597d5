import { useEffect } from 'react';

/** The document title names the page first (what screen readers announce on navigation). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} — Carnet`;
  }, [title]);
}
