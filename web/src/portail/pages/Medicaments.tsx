import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { TableScroll } from '../../shared/TableScroll.js';
import { medicationLines, type DrugLine } from '../medications.js';
import { Page, QueryState } from '../Page.js';
import { medicationsQuery } from '../queries.js';
import { useSession } from '../session.js';

/** Prescriptions, dispenses and statements of the person (every page of each search). */
function useMedicationSources() {
  const { client, patientId } = useSession();
  return useQuery(medicationsQuery(client, patientId));
}

function Line(props: { line: DrugLine; index: number }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const { line } = props;
  const d = (date: string | undefined) => formatDate(date, lang);
  const events = [
    ...line.prescriptions.map((p) => ({ id: `p-${p.id}`, date: p.date, what: t('portal.meds.prescribed') + (p.dosage ? ` — ${p.dosage}` : ''), who: p.by })),
    ...line.dispenses.map((x) => ({ id: `d-${x.id}`, date: x.date, what: t('portal.meds.dispensed') + (x.quantity ? ` — ${x.quantity}` : ''), who: x.where ?? x.by })),
  ].sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''));
  const headingId = `drug-${props.index}`;
  return (
    <li className="item" aria-labelledby={headingId}>
      <h3 id={headingId}>{line.name}{!line.current && line.stopReason ? <span className="badge"> · {t('portal.meds.stopped')}</span> : null}</h3>
      {line.dosage && <p>{t('portal.meds.dosage', { text: line.dosage })}</p>}
      {line.prescriber && <p>{t('portal.meds.prescriber', { who: line.prescriber })}</p>}
      {line.lastDispense?.date && (
        <p>{line.lastDispense.days !== undefined
          ? t('portal.meds.lastDispenseDays', { date: d(line.lastDispense.date), days: line.lastDispense.days })
          : t('portal.meds.lastDispense', { date: d(line.lastDispense.date) })}</p>
      )}
      {line.lastDispense?.where && <p>{t('portal.meds.where', { where: line.lastDispense.where })}</p>}
      {line.nextRefill && <p><strong>{t('portal.meds.nextRefill', { date: d(line.nextRefill) })}</strong></p>}
      {line.stoppedOn && <p>{t('portal.meds.stoppedOn', { date: d(line.stoppedOn) })}</p>}
      {line.stopReason && <p>{t('portal.meds.stopReason', { reason: line.stopReason })}</p>}
      {!line.current && !line.stoppedOn && line.lastActivity && <p className="note">{t('portal.meds.lastUsed', { date: d(line.lastActivity) })}</p>}
      {events.length > 1 && (
        <details>
          <summary>{t('portal.meds.history', { prescriptions: line.prescriptions.length, dispenses: line.dispenses.length })}</summary>
          <TableScroll label={t('portal.meds.tableLabel', { name: line.name })}>
            <table>
              <caption className="visually-hidden">{line.name}</caption>
              <thead><tr><th scope="col">{t('portal.meds.colDate')}</th><th scope="col">{t('portal.meds.colWhat')}</th><th scope="col">{t('portal.meds.colWho')}</th></tr></thead>
              <tbody>
                {events.map((e) => <tr key={e.id}><th scope="row">{formatDate(e.date, lang, 'medium')}</th><td>{e.what}</td><td>{e.who ?? ''}</td></tr>)}
              </tbody>
            </table>
          </TableScroll>
        </details>
      )}
    </li>
  );
}

/** Médicaments: current and past, by drug, from every source, with refills and the reason for a stop. */
export function Medicaments() {
  const { t } = useTranslation();
  const sources = useMedicationSources();
  const lines = sources.data ? medicationLines(sources.data, currentLang(), Date.now()) : [];
  const current = lines.filter((l) => l.current);
  const past = lines.filter((l) => !l.current);
  return (
    <Page title={t('portal.meds.title')}>
      <p>{t('portal.meds.intro')}</p>
      <QueryState query={sources} />
      {sources.data && lines.length === 0 && <p>{t('portal.meds.none')}</p>}
      {lines.length > 0 && (
        <>
          <section aria-labelledby="current-meds">
            <h2 id="current-meds">{t('portal.meds.current')}</h2>
            {current.length === 0 ? <p>{t('portal.meds.noneCurrent')}</p> : <ul className="list">{current.map((l, i) => <Line key={l.key} line={l} index={i} />)}</ul>}
          </section>
          {past.length > 0 && (
            <section aria-labelledby="past-meds">
              <h2 id="past-meds">{t('portal.meds.past')}</h2>
              <ul className="list">{past.map((l, i) => <Line key={l.key} line={l} index={current.length + i} />)}</ul>
            </section>
          )}
        </>
      )}
    </Page>
  );
}
