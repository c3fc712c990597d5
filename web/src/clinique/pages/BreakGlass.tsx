import type { Parameters } from '@medplum/fhirtypes';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { rememberGrant } from '../break-glass.js';
import { useSession } from '../session.js';

const DURATIONS = [15, 30, 60, 240] as const;

/**
 * Consent made visible: part of the record is hidden from this professional by the patient's choices
 * (never said what). In an emergency they may break the glass — a reason (required), a duration — and the
 * access is recorded and shown in the patient's own access log.
 */
export function BreakGlass(props: { patientId: string }) {
  const { t } = useTranslation();
  const { client } = useSession();
  const queries = useQueryClient();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState<number>(60);
  const [error, setError] = useState<string>();
  const busy = useRef(false);
  const [pending, setPending] = useState(false);
  // Opening the form moves the focus into it (the button that opened it is gone).
  useEffect(() => {
    if (open) document.getElementById(`${id}-reason`)?.focus();
  }, [open, id]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy.current) return;
    if (reason.trim().length < 10) {
      setError(t('clinic.glass.reasonShort'));
      document.getElementById(`${id}-reason`)?.focus();
      return;
    }
    busy.current = true;
    // The error stays until the answer: removing it now would move the buttons under a double click.
    setPending(true);
    try {
      const out = await client.request<Parameters>({
        url: `Patient/${encodeURIComponent(props.patientId)}/$break-the-glass`, method: 'POST', headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: reason.trim() }, { name: 'minutes', valueInteger: minutes }] }),
      });
      const expires = out.parameter?.find((p) => p.name === 'expires')?.valueInstant ?? new Date(Date.now() + minutes * 60_000).toISOString();
      rememberGrant({ patientId: props.patientId, expires, reason: reason.trim() });
      // Everything read before the grant is read again under it.
      await queries.invalidateQueries();
    } catch {
      setError(t('clinic.glass.failed'));
    } finally {
      busy.current = false;
      setPending(false);
    }
  };
  return (
    <section className="hidden-notice" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('clinic.glass.hiddenTitle')}</h2>
      <p>{t('clinic.glass.hiddenText')}</p>
      {!open && <button type="button" className="button secondary" onClick={() => setOpen(true)}>{t('clinic.glass.open')}</button>}
      {open && (
        <form onSubmit={submit} noValidate>
          <p>{t('clinic.glass.warning')}</p>
          <div className="field">
            <label htmlFor={`${id}-reason`}>{t('clinic.glass.reason')}</label>
            <span className="note" id={`${id}-hint`}>{t('clinic.glass.reasonHint')}</span>
            <textarea id={`${id}-reason`} required minLength={10} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-minutes`}>{t('clinic.glass.duration')}</label>
            <select id={`${id}-minutes`} value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
              {DURATIONS.map((m) => <option key={m} value={m}>{t('clinic.glass.minutes', { count: m })}</option>)}
            </select>
          </div>
          {error && <p id={`${id}-error`} role="alert" className="alert">{error}</p>}
          <div className="actions">
            <button type="submit" className="button danger" aria-disabled={pending ? true : undefined}>{t('clinic.glass.submit')}</button>
            <button type="button" className="button secondary" onClick={() => { setOpen(false); setError(undefined); }}>{t('clinic.glass.cancel')}</button>
          </div>
        </form>
      )}
    </section>
  );
}
