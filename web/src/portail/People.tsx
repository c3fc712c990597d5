import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../shared/format.js';
import { currentLang } from '../shared/i18n.js';
import { navigate, ROUTES } from './router.js';
import { Page } from './Page.js';
import { ageOf, myPersons, patientIdOf, relationOf, type PersonEntry } from './persons.js';
import { useSession } from './session.js';
import { PERSON_KEY, release } from './smart.js';

/** Whom the person acts for (themselves and the people in their care), for the header and the pages. */
export function usePersons() {
  const { client } = useSession();
  return useQuery({ queryKey: ['persons'], queryFn: () => myPersons(client), staleTime: 300_000 });
}

/** Whether the person bar shows: someone acting for others (the record open is not one's own, or there are several). */
export function showsPersonBar(persons: readonly PersonEntry[], patientId: string): boolean {
  const current = persons.find((p) => patientIdOf(p) === patientId);
  return Boolean(current) && (persons.length > 1 || !current?.self);
}

/** The person whose record is open now. */
export function useCurrentPerson(): PersonEntry | undefined {
  const { patientId } = useSession();
  return usePersons().data?.persons.find((p) => patientIdOf(p) === patientId);
}

function Describe(props: { entry: PersonEntry }) {
  const { t } = useTranslation();
  const { entry } = props;
  const age = ageOf(entry.birthDate, new Date());
  const relation = relationOf(entry);
  const words = relation === 'self' ? t('portal.persons.self')
    : relation === 'child' ? (age !== undefined ? t('portal.persons.child', { count: age }) : t('portal.persons.childNoAge'))
      : t('portal.persons.ward');
  return <>{words}{entry.access === 'narrowed' ? <> · <span className="tag">{t('portal.persons.narrowedTag')}</span></> : null}</>;
}

/**
 * The header's "whose record": the person's name and how they relate to the one signed in; with several
 * people, a button opens the list and choosing one signs in again for them (this grant is revoked first,
 * the cache emptied, so nothing of the previous person stays on screen).
 */
export function PersonBar() {
  const { t } = useTranslation();
  const session = useSession();
  const persons = usePersons();
  const queries = useQueryClient();
  const [open, setOpen] = useState(false);
  const [switching, setSwitching] = useState<string>();
  const busy = useRef(false);
  const listId = useId();
  const list = persons.data?.persons ?? [];
  const current = list.find((p) => patientIdOf(p) === session.patientId);
  if (!current || !showsPersonBar(list, session.patientId)) return null;
  const others = list.filter((p) => p !== current);
  const choose = async (entry: PersonEntry) => {
    if (busy.current) return;
    busy.current = true;
    setSwitching(entry.name ?? entry.patient);
    sessionStorage.setItem(PERSON_KEY, patientIdOf(entry));
    try {
      await release(session.client);
    } finally {
      queries.clear();
      location.reload();
    }
  };
  return (
    <div className="person-bar">
      <div className="person-bar-inner">
        <p className="person-current">
          {t('portal.recordOf')} <strong>{current.name}</strong> <span className="person-relation">(<Describe entry={current} />)</span>
        </p>
        {others.length > 0 && (
          <button type="button" className="button secondary small" aria-expanded={open} aria-controls={listId} onClick={() => setOpen(!open)}>
            {t('portal.persons.switch')}
          </button>
        )}
      </div>
      {open && (
        <div id={listId} className="person-list">
          <p className="person-list-title">{t('portal.persons.listTitle')}</p>
          <ul>
            {others.map((entry) => (
              <li key={entry.patient}>
                <button type="button" className="link-button" aria-disabled={switching ? true : undefined} onClick={() => void choose(entry)}>
                  {t('portal.persons.open', { name: entry.name ?? entry.patient })}
                </button>
                <span className="person-relation"> (<Describe entry={entry} />)</span>
              </li>
            ))}
          </ul>
          {switching && <p role="status">{t('portal.persons.switching', { name: switching })}</p>}
        </div>
      )}
    </div>
  );
}

/**
 * What a parent sees of a record that has become the minor's own: why, since when, and what they still do
 * (the appointments) — said, not silently empty.
 */
export function Narrowed(props: { entry: PersonEntry; page?: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const persons = usePersons();
  const name = props.entry.name ?? '';
  const age = persons.data?.controlAge ?? 14;
  return (
    <Page title={props.page ?? t('portal.narrowed.title', { name })}>
      {props.page && <h2>{t('portal.narrowed.title', { name })}</h2>}
      <div className="notice" role="note">
        <p>{t('portal.narrowed.why', { name, age, date: formatDate(props.entry.narrowedSince, lang) })}</p>
        <p>{t('portal.narrowed.law', { age })}</p>
        <p>{t('portal.narrowed.still', { name })}</p>
        <p>{t('portal.narrowed.talk', { name })}</p>
      </div>
      <p>
        <a className="button" href={ROUTES.appointments} onClick={(e) => { e.preventDefault(); navigate(ROUTES.appointments); }}>
          {t('portal.narrowed.appointments', { name })}
        </a>
      </p>
    </Page>
  );
}
