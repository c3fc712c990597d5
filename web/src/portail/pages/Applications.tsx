import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { myGrants, withdraw, type GrantView } from '../apps.js';
import { reachOf } from '../grant-reach.js';
import { Page, QueryState } from '../Page.js';
import { useSession } from '../session.js';

function Grant(props: { grant: GrantView; onDone: (text: string, refused?: boolean) => void }) {
  const { t } = useTranslation();
  const { client } = useSession();
  const queries = useQueryClient();
  const [asking, setAsking] = useState(false);
  const busy = useRef(false);
  const g = props.grant;
  const revoke = useMutation({
    mutationFn: () => withdraw(client, g),
    onSuccess: async () => { props.onDone(t('portal.apps.withdrawn', { app: g.client.name })); await queries.invalidateQueries({ queryKey: ['grants'] }); },
    // Gone already (another tab, another device): the list is brought up to date.
    onError: async () => { props.onDone(t('portal.apps.failed', { app: g.client.name }), true); await queries.invalidateQueries({ queryKey: ['grants'] }); },
    onSettled: () => { busy.current = false; },
  });
  return (
    <li className="item">
      <article aria-labelledby={`grant-${g.id}`}>
        <h3 id={`grant-${g.id}`}>{g.client.name}</h3>
        {g.client.firstParty && <p className="note">{t('portal.apps.firstParty')}</p>}
        <p>{t(`portal.apps.reach.${reachOf(g.scope)}`)}</p>
        <p className="note">{t('portal.apps.since', { date: formatDate(g.createdAt, currentLang()), until: formatDate(g.expiresAt, currentLang()) })}</p>
        {g.current && <p><strong>{t('portal.apps.current')}</strong></p>}
        {!g.current && !asking && (
          <p><button type="button" className="button secondary" onClick={() => setAsking(true)}>{t('portal.apps.withdraw', { app: g.client.name })}</button></p>
        )}
        {!g.current && asking && (
          <div>
            <p>{t('portal.apps.confirmText', { app: g.client.name })}</p>
            <p className="actions">
              <button type="button" className="button" aria-disabled={revoke.isPending}
                onClick={() => { if (busy.current) return; busy.current = true; revoke.mutate(); }}>{t('portal.apps.confirm')}</button>{' '}
              <button type="button" className="button secondary" onClick={() => setAsking(false)}>{t('portal.apps.keep')}</button>
            </p>
          </div>
        )}
      </article>
    </li>
  );
}

/** Applications: the apps the person has authorised to reach their record, and withdrawing one. */
export function Applications() {
  const { t } = useTranslation();
  const { client } = useSession();
  const grants = useQuery({ queryKey: ['grants'], queryFn: () => myGrants(client), staleTime: 0 });
  const [message, setMessage] = useState<{ text: string; refused: boolean }>();
  const shown = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    // The button pressed is gone with its app: the message takes the focus, read at once.
    if (message && shown.current) { shown.current.scrollIntoView({ block: 'center' }); shown.current.focus({ preventScroll: true }); }
  }, [message]);
  return (
    <Page title={t('portal.apps.title')}>
      <p>{t('portal.apps.intro')}</p>
      <div aria-live="polite">
        {message && <p ref={shown} tabIndex={-1} role={message.refused ? 'alert' : 'status'} className={message.refused ? 'alert' : 'note'}>{message.text}</p>}
      </div>
      <section aria-labelledby="apps-authorised">
        <h2 id="apps-authorised">{t('portal.apps.authorised')}</h2>
        <QueryState query={grants} />
        {grants.data && grants.data.length === 0 && <p>{t('portal.apps.none')}</p>}
        {grants.data && grants.data.length > 0 && (
          <ul className="list" aria-labelledby="apps-authorised">
            {grants.data.map((g) => <Grant key={g.id} grant={g} onDone={(text, refused) => setMessage({ text, refused: Boolean(refused) })} />)}
          </ul>
        )}
      </section>
    </Page>
  );
}
