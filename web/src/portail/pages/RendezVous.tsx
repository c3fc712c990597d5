import type { Appointment } from '@medplum/fhirtypes';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { currentLang } from '../../shared/i18n.js';
import { localeOf } from '../../shared/lang.js';
import { cancel, familyDoctor, findOpenings, holdAndBook, myAppointments, refusalOf, reschedule, visitModeOf, whoOf, type FindCriteria } from '../appointments.js';
import { usePatient } from '../fhir.js';
import { reminderTier } from '../reminder-tier.js';
import { Page, QueryState } from '../Page.js';
import { useSession } from '../session.js';

/** Times are the clinic's (Montréal), whatever the device's zone. */
function when(value: string | undefined): string {
  if (!value) return '';
  return new Intl.DateTimeFormat(localeOf(currentLang()), { dateStyle: 'full', timeStyle: 'short', timeZone: 'America/Toronto' }).format(new Date(value));
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toLocaleDateString('en-CA', { timeZone: 'America/Toronto' });

function useAppointments() {
  const { client, patientId } = useSession();
  return useQuery({ queryKey: ['appointments', patientId], queryFn: () => myAppointments(client, patientId), staleTime: 0 });
}

/**
 * One message region for the page: what was done, or why it was refused, in plain words. It is brought
 * into view and focused when it changes — the button pressed may be far down a list on a phone, or gone
 * with the list (after a booking): a screen reader reads it, and Tab goes on from there.
 */
function Message(props: { message: { kind: 'ok' | 'refused'; text: string } | undefined }) {
  const m = props.message;
  const shown = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (!m || !shown.current) return;
    shown.current.scrollIntoView({ block: 'center' });
    shown.current.focus({ preventScroll: true });
  }, [m]);
  return (
    <div aria-live="polite" className="appt-message">
      {m && <p role={m.kind === 'refused' ? 'alert' : 'status'} className={m.kind === 'refused' ? 'alert' : 'note'} tabIndex={-1} ref={shown}>{m.text}</p>}
    </div>
  );
}

/** Openings shown at a time; "more" shows as many again. */
const PAGE = 10;
/** $find answers at most 100 at once. */
const MAX_OPENINGS = 100;

function AppointmentItem(props: { a: Appointment; upcoming: boolean; onMove?: (a: Appointment) => void; onCancelled?: (text: string) => void; onRefused?: (text: string) => void }) {
  const { t } = useTranslation();
  const { client } = useSession();
  const queries = useQueryClient();
  const ids = useId();
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const busy = useRef(false);
  const mode = visitModeOf(props.a);
  const doCancel = useMutation({
    mutationFn: () => cancel(client, props.a, reason),
    onSuccess: async () => { setAsking(false); props.onCancelled?.(t('portal.appointments.cancelled', { when: when(props.a.start) })); await queries.invalidateQueries(); },
    onError: (error: unknown) => props.onRefused?.(t(`portal.appointments.refusals.${refusalOf(error)}`)),
    onSettled: () => { busy.current = false; },
  });
  const status = t(`portal.appointments.status.${props.a.status}`, { defaultValue: props.a.status });
  return (
    <li className="item">
      <h3>{when(props.a.start)}</h3>
      {whoOf(props.a) && <p>{t('portal.appointments.with', { who: whoOf(props.a) })}</p>}
      <p>{status}{mode ? ` — ${t(`portal.appointments.modes.${mode}`)}` : ''}</p>
      {props.a.cancelationReason?.text && (
        // $reschedule's own reason is a code word: said as what happened.
        <p className="note">{props.a.cancelationReason.text === 'rescheduled' ? t('portal.appointments.wasMoved') : t('portal.appointments.reason', { reason: props.a.cancelationReason.text })}</p>
      )}
      {props.upcoming && props.a.status === 'booked' && !asking && (
        <p className="actions">
          <button type="button" className="button secondary" onClick={() => props.onMove?.(props.a)}>{t('portal.appointments.move')}</button>{' '}
          <button type="button" className="button secondary" onClick={() => setAsking(true)}>{t('portal.appointments.cancel')}</button>
        </p>
      )}
      {asking && (
        <form onSubmit={(e: FormEvent) => { e.preventDefault(); if (busy.current) return; busy.current = true; doCancel.mutate(); }}>
          <div className="field">
            <label htmlFor={`${ids}-reason`}>{t('portal.appointments.reasonLabel')}</label>
            <input id={`${ids}-reason`} type="text" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={200} />
          </div>
          <p className="note">{t('portal.appointments.cancelRule')}</p>
          <p className="actions">
            <button type="submit" className="button" aria-disabled={doCancel.isPending}>{t('portal.appointments.confirmCancel')}</button>{' '}
            <button type="button" className="button secondary" onClick={() => setAsking(false)}>{t('portal.appointments.keep')}</button>
          </p>
        </form>
      )}
    </li>
  );
}

function FindSlot(props: { moving: Appointment | undefined; onDone: (text: string) => void; onRefused: (text: string) => void; onStopMoving: () => void }) {
  const { t } = useTranslation();
  const { client, patientId } = useSession();
  const patient = usePatient();
  const queries = useQueryClient();
  const ids = useId();
  const doctor = useQuery({ queryKey: ['family-doctor', patientId], enabled: Boolean(patient.data), queryFn: async () => (await familyDoctor(client, patient.data!)) ?? null });
  const [criteria, setCriteria] = useState<FindCriteria>({ who: 'doctor', from: day(0), to: day(14), mode: '' });
  const [searched, setSearched] = useState<FindCriteria>();
  const [shown, setShown] = useState(PAGE);
  // One more than shown: whether there are more to offer.
  const openings = useQuery({
    queryKey: ['openings', patientId, searched, shown], enabled: Boolean(searched && doctor.data), staleTime: 0,
    placeholderData: keepPreviousData, queryFn: () => findOpenings(client, doctor.data!, searched!, shown + 1),
  });
  const firstNew = useRef<HTMLLIElement>(null);
  const moreAsked = useRef(false);
  useEffect(() => {
    // After "more": the first of the newly shown openings takes the focus, where the reader left off.
    if (moreAsked.current && !openings.isPlaceholderData && firstNew.current) {
      moreAsked.current = false;
      firstNew.current.focus();
    }
  }, [openings.data, openings.isPlaceholderData]);
  const busy = useRef(false);
  const book = useMutation({
    mutationFn: (opening: Appointment) => (props.moving ? reschedule(client, props.moving, opening) : holdAndBook(client, patientId, opening)),
    onSuccess: async (booked: Appointment) => {
      const reminder = t(`portal.appointments.reminder.${reminderTier(booked.start, Date.now())}`);
      props.onDone(`${t(props.moving ? 'portal.appointments.moved' : 'portal.appointments.booked', { when: when(booked.start) })} ${reminder}`);
      props.onStopMoving();
      setSearched(undefined);
      await queries.invalidateQueries();
    },
    onError: async (error: unknown) => { props.onRefused(t(`portal.appointments.refusals.${refusalOf(error)}`)); await openings.refetch(); },
    onSettled: () => { busy.current = false; },
  });
  if (doctor.data === null) return <p>{t('portal.appointments.noDoctor')}</p>;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (criteria.to < criteria.from) { props.onRefused(t('portal.appointments.refusals.badDates')); return; }
    setShown(PAGE);
    setSearched({ ...criteria });
  };
  const set = (patch: Partial<FindCriteria>) => setCriteria({ ...criteria, ...patch });
  return (
    <section aria-labelledby="appt-find">
      <h2 id="appt-find">{props.moving ? t('portal.appointments.moveTitle', { when: when(props.moving.start) }) : t('portal.appointments.findTitle')}</h2>
      <QueryState query={doctor} />
      {doctor.data && <p>{t('portal.appointments.doctor', { who: doctor.data.display })}</p>}
      {props.moving && <p><button type="button" className="link-button" onClick={props.onStopMoving}>{t('portal.appointments.stopMoving')}</button></p>}
      <form onSubmit={submit} className="find-form">
        {doctor.data?.organization && (
          <fieldset>
            <legend>{t('portal.appointments.whoLegend')}</legend>
            {(['doctor', 'clinic'] as const).map((w) => (
              <div key={w} className="field checkbox">
                <input id={`${ids}-${w}`} type="radio" name={`${ids}-who`} checked={criteria.who === w} onChange={() => set({ who: w })} />
                <label htmlFor={`${ids}-${w}`}>{t(`portal.appointments.who.${w}`)}</label>
              </div>
            ))}
          </fieldset>
        )}
        <div className="field">
          <label htmlFor={`${ids}-from`}>{t('portal.appointments.from')}</label>
          <input id={`${ids}-from`} type="date" value={criteria.from} min={day(0)} onChange={(e) => set({ from: e.target.value })} required />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-to`}>{t('portal.appointments.to')}</label>
          <input id={`${ids}-to`} type="date" value={criteria.to} min={criteria.from} onChange={(e) => set({ to: e.target.value })} required />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-mode`}>{t('portal.appointments.modeLabel')}</label>
          <select id={`${ids}-mode`} value={criteria.mode} onChange={(e) => set({ mode: e.target.value as FindCriteria['mode'] })}>
            <option value="">{t('portal.appointments.modes.any')}</option>
            <option value="in-person">{t('portal.appointments.modes.in-person')}</option>
            <option value="virtual">{t('portal.appointments.modes.virtual')}</option>
          </select>
        </div>
        <p><button type="submit" className="button">{t('portal.appointments.search')}</button></p>
      </form>
      {searched && <QueryState query={openings} />}
      {searched && openings.data && openings.data.length === 0 && <p role="status">{t('portal.appointments.noOpenings')}</p>}
      {searched && openings.data && openings.data.length > 0 && (
        <>
          <p role="status">{t('portal.appointments.openingsFound', { count: Math.min(shown, openings.data.length) })}</p>
          <ul className="list" aria-labelledby="appt-find">
            {openings.data.slice(0, shown).map((o, i) => (
              <li key={o.slot?.[0]?.reference} className="item opening" ref={i === shown - PAGE && i > 0 ? firstNew : undefined} tabIndex={i === shown - PAGE && i > 0 ? -1 : undefined}>
                <p><strong>{when(o.start)}</strong><br />{t('portal.appointments.minutes', { count: o.minutesDuration ?? 0 })} — {t(`portal.appointments.modes.${visitModeOf(o) ?? 'in-person'}`)}</p>
                <button type="button" className="button" aria-disabled={book.isPending}
                  aria-label={t(props.moving ? 'portal.appointments.moveHere' : 'portal.appointments.bookAt', { when: when(o.start) })}
                  onClick={() => { if (busy.current) return; busy.current = true; book.mutate(o); }}>
                  {t(props.moving ? 'portal.appointments.moveShort' : 'portal.appointments.bookShort')}
                </button>
              </li>
            ))}
          </ul>
          {openings.data.length > shown && shown + PAGE <= MAX_OPENINGS && (
            <p>
              <button type="button" className="button secondary" aria-disabled={openings.isFetching}
                onClick={() => { if (openings.isFetching) return; moreAsked.current = true; setShown(shown + PAGE); }}>
                {t('portal.appointments.more', { count: PAGE })}
              </button>
            </p>
          )}
        </>
      )}
    </section>
  );
}

/** Rendez-vous: upcoming and past appointments, finding and booking an opening, cancelling, moving. */
export function RendezVous() {
  const { t } = useTranslation();
  const appointments = useAppointments();
  const [message, setMessage] = useState<{ kind: 'ok' | 'refused'; text: string }>();
  const [moving, setMoving] = useState<Appointment>();
  const ok = (text: string) => setMessage({ kind: 'ok', text });
  const refused = (text: string) => setMessage({ kind: 'refused', text });
  return (
    <Page title={t('portal.appointments.title')}>
      <p>{t('portal.appointments.intro')}</p>
      <Message message={message} />
      <section aria-labelledby="appt-upcoming">
        <h2 id="appt-upcoming">{t('portal.appointments.upcoming')}</h2>
        <QueryState query={appointments} />
        {appointments.data && appointments.data.upcoming.length === 0 && <p>{t('portal.appointments.noneUpcoming')}</p>}
        {appointments.data && appointments.data.upcoming.length > 0 && (
          <ul className="list" aria-labelledby="appt-upcoming">
            {appointments.data.upcoming.map((a) => (
              <AppointmentItem key={a.id} a={a} upcoming onCancelled={ok} onRefused={refused}
                onMove={(m) => { setMessage(undefined); setMoving(m); document.getElementById('appt-find')?.scrollIntoView(); }} />
            ))}
          </ul>
        )}
      </section>
      <FindSlot moving={moving} onDone={ok} onRefused={refused} onStopMoving={() => setMoving(undefined)} />
      <section aria-labelledby="appt-past">
        <h2 id="appt-past">{t('portal.appointments.past')}</h2>
        {appointments.data && appointments.data.past.length === 0 && <p>{t('portal.appointments.nonePast')}</p>}
        {appointments.data && appointments.data.past.length > 0 && (
          <ul className="list" aria-labelledby="appt-past">
            {appointments.data.past.slice(0, 20).map((a) => <AppointmentItem key={a.id} a={a} upcoming={false} />)}
          </ul>
        )}
      </section>
    </Page>
  );
}
