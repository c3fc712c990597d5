import { useEffect, useRef, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useTitle } from './useTitle.js';
import { hasNavigated } from './router.js';

/**
 * A portal page: its title is the document title and the h1, which takes the focus when the page changes
 * (so a screen reader announces the new page, and the keyboard starts from its top).
 */
export function Page(props: { title: string; children: ReactNode }) {
  useTitle(props.title);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // Only after a navigation inside the app: on first load the browser's own focus order starts at the top.
    if (hasNavigated()) heading.current?.focus();
  }, [props.title]);
  return (
    <div className="page">
      <h1 ref={heading} tabIndex={-1}>{props.title}</h1>
      {props.children}
    </div>
  );
}

/** The HTTP status of a failed request (fhirclient's HttpError and the workspace's api() both carry it). */
export function statusOf(error: unknown): number | undefined {
  const e = error as { statusCode?: unknown; status?: unknown } | null | undefined;
  const status = e?.statusCode ?? e?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * What a query shows while it loads or when it failed (announced, with a way to try again): an expired
 * session says so and offers to sign in again; something absent (or hidden) says it is not there.
 */
export function QueryState(props: { query: { isPending: boolean; isError: boolean; error?: unknown; refetch: () => unknown } }) {
  const { t } = useTranslation();
  if (props.query.isPending) return <p role="status" className="status">{t('common.loading')}</p>;
  if (props.query.isError) {
    const status = statusOf(props.query.error);
    if (status === 401) {
      return (
        <div role="alert" className="alert">
          <p>{t('common.expired')}</p>
          <button type="button" className="button secondary" onClick={() => location.reload()}>{t('common.signInAgain')}</button>
        </div>
      );
    }
    if (status === 404 || status === 410) return <div role="alert" className="alert"><p>{t('common.absent')}</p></div>;
    return (
      <div role="alert" className="alert">
        <p>{t('common.error')}</p>
        <button type="button" className="button secondary" onClick={() => void props.query.refetch()}>{t('common.retry')}</button>
      </div>
    );
  }
  return null;
}
