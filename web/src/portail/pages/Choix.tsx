import type { Bundle, Consent, Organization, Practitioner } from '@medplum/fhirtypes';
import { nameOf } from '../fhir.js';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { CATEGORIES, consentFor, explain, type Category, type Choice, type Explained } from '../consent.js';
import { save as saveResource } from '../fhir.js';
import { Page, QueryState } from '../Page.js';
import { useSession } from '../session.js';

const KINDS = ['hide-category', 'open-category', 'exclude', 'share-only', 'exclude-professional', 'open-category-to', 'deny-all', 'research-opt-out'] as const;
type Kind = (typeof KINDS)[number];

function useConsents() {
  const { client, patientId } = useSession();
  return useQuery({
    queryKey: ['Consent', patientId],
    queryFn: () => client.request<Consent[]>(`Consent?patient=${encodeURIComponent(patientId)}&status=active&_count=100`, { pageLimit: 0, flat: true }),
    staleTime: 0,
  });
}

/** The sentence that says what a choice does (or did), from whom it hides what. */
function useDescribe() {
  const { t } = useTranslation();
  const category = (c: Category) => t(`portal.choices.categories.${c}`);
  return (choice: Explained, part: 'titles' | 'explain') => {
    const values = {
      category: 'category' in choice ? category(choice.category) : '',
      name: 'actor' in choice ? choice.name ?? choice.actor : '',
      resource: 'resource' in choice ? choice.resource : '',
    };
    return t(`portal.choices.${part}.${choice.kind}`, values);
  };
}

function CurrentChoices() {
  const { t } = useTranslation();
  const { client } = useSession();
  const describe = useDescribe();
  const consents = useConsents();
  const queries = useQueryClient();
  // The message's key (and values), translated at render: it follows a language switch.
  const [message, setMessage] = useState<{ key: string; reason?: string }>();
  const remove = useMutation({
    // Withdrawn, not deleted: the Consent stays in the record's history as what applied until now.
    mutationFn: (consent: Consent) => saveResource(client, { ...consent, status: 'inactive' }),
    onSuccess: async () => {
      setMessage({ key: 'portal.choices.removed' });
      await queries.invalidateQueries();
    },
  });
  return (
    <section aria-labelledby="choices-current">
      <h2 id="choices-current">{t('portal.choices.current')}</h2>
      <QueryState query={consents} />
      <p role="status">{message ? t(message.key as 'portal.choices.saved', { reason: message.reason ?? '' }) : ''}</p>
      {consents.data && consents.data.length === 0 && <p>{t('portal.choices.noneCurrent')}</p>}
      {consents.data && consents.data.length > 0 && (
        <ul className="list">
          {consents.data.map((consent) => {
            const choice = explain(consent);
            return (
              <li key={consent.id} className="item">
                <h3>{describe(choice, 'titles')}</h3>
                <p>{describe(choice, 'explain')}</p>
                {consent.dateTime && <p className="note">{t('portal.choices.since', { date: formatDate(consent.dateTime, currentLang()) })}</p>}
                <button type="button" className="button secondary" aria-disabled={remove.isPending} onClick={() => { if (!remove.isPending) remove.mutate(consent); }}>
                  {t('portal.choices.remove')}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function OrganizationPicker(props: { value: { ref: string; name: string } | undefined; onChange: (org: { ref: string; name: string }) => void }) {
  const { t } = useTranslation();
  const { client } = useSession();
  const ids = useId();
  const [name, setName] = useState('');
  const [searched, setSearched] = useState<string>();
  const found = useQuery({
    queryKey: ['Organization', searched],
    enabled: searched !== undefined,
    queryFn: () => client.request<Bundle<Organization>>(`Organization?name=${encodeURIComponent(searched ?? '')}&_count=20&active=true`),
  });
  const orgs = (found.data?.entry ?? []).map((e) => e.resource).filter((o): o is Organization => Boolean(o?.id));
  return (
    <div className="picker">
      <div className="field">
        <label htmlFor={`${ids}-q`}>{t('portal.choices.orgSearch')}</label>
        <div className="inline">
          <input id={`${ids}-q`} type="search" value={name} onChange={(e) => setName(e.target.value)}
            onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); setSearched(name.trim()); } }} />
          <button type="button" className="button secondary" onClick={() => setSearched(name.trim())}>{t('portal.choices.orgSearchButton')}</button>
        </div>
      </div>
      <QueryState query={{ isPending: found.isFetching, isError: found.isError, refetch: found.refetch }} />
      {found.data && orgs.length === 0 && <p role="status">{t('portal.choices.orgNone')}</p>}
      {orgs.length > 0 && (
        <fieldset>
          <legend>{t('portal.choices.orgLegend')}</legend>
          {orgs.map((o) => (
            <div key={o.id} className="field checkbox">
              <input id={`${ids}-${o.id}`} type="radio" name={`${ids}-org`} checked={props.value?.ref === `Organization/${o.id}`}
                onChange={() => props.onChange({ ref: `Organization/${o.id}`, name: o.name ?? o.id ?? '' })} />
              <label htmlFor={`${ids}-${o.id}`}>{o.name ?? o.id}</label>
            </div>
          ))}
        </fieldset>
      )}
    </div>
  );
}

/** A professional from the directory (Practitioner, readable by everyone), searched by name. */
function PractitionerPicker(props: { value: { ref: string; name: string } | undefined; onChange: (who: { ref: string; name: string }) => void }) {
  const { t } = useTranslation();
  const { client } = useSession();
  const ids = useId();
  const [name, setName] = useState('');
  const [searched, setSearched] = useState<string>();
  const found = useQuery({
    queryKey: ['Practitioner', searched],
    enabled: searched !== undefined,
    queryFn: () => client.request<Bundle<Practitioner>>(`Practitioner?name=${encodeURIComponent(searched ?? '')}&_count=20`),
  });
  const people = (found.data?.entry ?? []).map((e) => e.resource).filter((p): p is Practitioner => Boolean(p?.id));
  const label = (p: Practitioner) => [p.name?.[0]?.prefix?.join(' '), nameOf(p as never)].filter(Boolean).join(' ') || (p.id ?? '');
  return (
    <div className="picker">
      <div className="field">
        <label htmlFor={`${ids}-q`}>{t('portal.choices.proSearch')}</label>
        <div className="inline">
          <input id={`${ids}-q`} type="search" value={name} onChange={(e) => setName(e.target.value)}
            onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); setSearched(name.trim()); } }} />
          <button type="button" className="button secondary" onClick={() => setSearched(name.trim())}>{t('portal.choices.orgSearchButton')}</button>
        </div>
      </div>
      <QueryState query={{ isPending: found.isFetching, isError: found.isError, refetch: found.refetch }} />
      {found.data && people.length === 0 && <p role="status">{t('portal.choices.proNone')}</p>}
      {people.length > 0 && (
        <fieldset>
          <legend>{t('portal.choices.proLegend')}</legend>
          {people.map((p) => (
            <div key={p.id} className="field checkbox">
              <input id={`${ids}-${p.id}`} type="radio" name={`${ids}-pro`} checked={props.value?.ref === `Practitioner/${p.id}`}
                onChange={() => props.onChange({ ref: `Practitioner/${p.id}`, name: label(p) })} />
              <label htmlFor={`${ids}-${p.id}`}>{label(p)}</label>
            </div>
          ))}
        </fieldset>
      )}
    </div>
  );
}

function AddChoice() {
  const { t } = useTranslation();
  const { client, patientId } = useSession();
  const describe = useDescribe();
  const queries = useQueryClient();
  const ids = useId();
  const [kind, setKind] = useState<Kind>('hide-category');
  const [category, setCategory] = useState<Category>('MH');
  const [org, setOrg] = useState<{ ref: string; name: string }>();
  const [pro, setPro] = useState<{ ref: string; name: string }>();
  // The message's key (and values), translated at render: it follows a language switch.
  const [message, setMessage] = useState<{ key: string; reason?: string }>();
  const choice: Choice | undefined =
    kind === 'hide-category' || kind === 'open-category' ? { kind, category }
      : kind === 'exclude' || kind === 'share-only' ? (org ? { kind, actor: org.ref, name: org.name } : undefined)
        : kind === 'exclude-professional' ? (pro ? { kind, actor: pro.ref, name: pro.name } : undefined)
          : kind === 'open-category-to' ? (pro ? { kind, category, actor: pro.ref, name: pro.name } : undefined)
            : { kind };
  // Set synchronously on submit: a second click before React re-renders must not write a second Consent.
  const saving = useRef(false);
  const save = useMutation({
    mutationFn: (c: Choice) => saveResource(client, consentFor(c, `Patient/${patientId}`, new Date())),
    onSuccess: async () => {
      setMessage({ key: 'portal.choices.saved' });
      await queries.invalidateQueries();
    },
    onError: (error: Error) => setMessage({ key: 'portal.choices.failed', reason: error.message }),
    onSettled: () => { saving.current = false; },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // A second click while saving does nothing: a choice is written once.
    if (!choice || saving.current) return;
    saving.current = true;
    setMessage(undefined);
    save.mutate(choice);
  };
  return (
    <section aria-labelledby="choices-add">
      <h2 id="choices-add">{t('portal.choices.add')}</h2>
      <form onSubmit={submit} className="choice-form">
        <fieldset>
          <legend>{t('portal.choices.kindLegend')}</legend>
          {KINDS.map((k) => (
            <div key={k} className="field checkbox">
              <input id={`${ids}-${k}`} type="radio" name={`${ids}-kind`} value={k} checked={kind === k} onChange={() => setKind(k)} />
              <label htmlFor={`${ids}-${k}`}>{t(`portal.choices.kinds.${k}`)}</label>
            </div>
          ))}
        </fieldset>
        {(kind === 'hide-category' || kind === 'open-category' || kind === 'open-category-to') && (
          <div className="field">
            <label htmlFor={`${ids}-cat`}>{t('portal.choices.categoryLabel')}</label>
            <select id={`${ids}-cat`} value={category} onChange={(e) => setCategory(e.target.value as Category)}>
              {CATEGORIES.map((c) => <option key={c} value={c}>{t(`portal.choices.categories.${c}`)}</option>)}
            </select>
          </div>
        )}
        {(kind === 'exclude' || kind === 'share-only') && <OrganizationPicker value={org} onChange={setOrg} />}
        {(kind === 'exclude-professional' || kind === 'open-category-to') && <PractitionerPicker value={pro} onChange={setPro} />}
        <div className="effect" aria-live="polite">
          <h3>{t('portal.choices.effectTitle')}</h3>
          <p>{choice ? describe(choice, 'explain') : t(kind === 'exclude-professional' || kind === 'open-category-to' ? 'portal.choices.proPick' : 'portal.choices.orgPick')}</p>
        </div>
        {/* aria-disabled, not disabled: a disabled button drops the keyboard focus while the choice is saved. */}
        <p><button type="submit" className="button" aria-disabled={!choice || save.isPending}>{t('portal.choices.save')}</button></p>
        <p role="status">{message ? t(message.key as 'portal.choices.saved', { reason: message.reason ?? '' }) : ''}</p>
      </form>
    </section>
  );
}

/** Mes choix: the person's consents in plain words, withdrawn or added with their effect said first. */
export function Choix() {
  const { t } = useTranslation();
  return (
    <Page title={t('portal.choices.title')}>
      <p>{t('portal.choices.intro')}</p>
      <CurrentChoices />
      <AddChoice />
      <p className="note">{t('portal.choices.breakGlassNote')}</p>
    </Page>
  );
}
