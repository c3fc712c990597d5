import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { Page, QueryState } from '../../shared/Page.js';
import { followLink } from '../../shared/router.js';
import { TableScroll } from '../../shared/TableScroll.js';
import { usePatientSearch } from '../data.js';
import { ageOn, clean, EMPTY, fromQuery, isEmpty, toQuery, type Criteria, type PersonRow } from '../patient-search.js';
import { PATHS } from '../routes.js';
import { MyPatients } from './MyPatients.js';

const FIELDS: readonly { key: keyof Criteria; type: string; autoComplete: string; inputMode?: 'numeric' | 'tel' | 'text' }[] = [
  { key: 'family', type: 'text', autoComplete: 'off' },
  { key: 'given', type: 'text', autoComplete: 'off' },
  { key: 'birthDate', type: 'date', autoComplete: 'off' },
  { key: 'nam', type: 'text', autoComplete: 'off' },
  { key: 'phone', type: 'tel', autoComplete: 'off', inputMode: 'tel' },
];

function gradeKey(grade: string | undefined): 'certain' | 'probable' | 'possible' | 'found' {
  return grade === 'certain' || grade === 'probable' || grade === 'possible' ? grade : 'found';
}

function Row(props: { row: PersonRow; index: number }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const { row } = props;
  const age = ageOn(row.birthDate, new Date());
  const headingId = `person-${props.index}`;
  const href = PATHS.patient(row.primary);
  return (
    <li className="item person" aria-labelledby={headingId}>
      <h2 id={headingId} className="item-title"><a href={href} onClick={(e) => followLink(e, href)}>{row.name || t('clinic.search.noName')}</a></h2>
      <p>
        {row.birthDate ? t('clinic.search.born', { date: formatDate(row.birthDate, lang), age: age ?? '' }) : t('clinic.search.noBirthDate')}
        {row.gender ? ` · ${t(`clinic.sex.${row.gender as 'female'}`)}` : ''}
        {row.nam ? ` · ${t('clinic.search.nam', { nam: row.nam })}` : ''}
      </p>
      <p><strong>{t(`clinic.search.grade.${gradeKey(row.grade)}`)}</strong>{row.score !== undefined ? ` — ${t('clinic.search.score', { score: Math.round(row.score * 100) })}` : ''}</p>
      <TableScroll label={t('clinic.search.recordsOf', { name: row.name })}>
        <table className="stack">
          <caption>{t('clinic.search.records', { count: row.records.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('clinic.search.colOrg')}</th>
              <th scope="col">{t('clinic.search.colName')}</th>
              <th scope="col">{t('clinic.search.colBirth')}</th>
              <th scope="col">{t('clinic.search.colLink')}</th>
            </tr>
          </thead>
          <tbody>
            {row.records.map((r) => (
              <tr key={r.id}>
                <th scope="row">{r.organisation ?? t('clinic.search.unknownOrg')}</th>
                <td data-label={t('clinic.search.colName')}>{r.name}{r.active ? '' : ` (${t('clinic.search.inactive')})`}</td>
                <td data-label={t('clinic.search.colBirth')}>{formatDate(r.birthDate, lang, 'medium')}</td>
                <td data-label={t('clinic.search.colLink')}>{r.assurance === 'level4' ? t('clinic.search.linkManual') : r.assurance ? t('clinic.search.linkAuto') : t('clinic.search.linkNone')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </li>
  );
}

/** Patients: find the right person among several source records, through the master patient index. */
export function Search() {
  const { t } = useTranslation();
  const initial = fromQuery(location.search);
  const [form, setForm] = useState<Criteria>(initial);
  const [criteria, setCriteria] = useState<Criteria | undefined>(isEmpty(initial) ? undefined : initial);
  const [empty, setEmpty] = useState(false);
  const emptyRef = useRef<HTMLDivElement>(null);
  const search = usePatientSearch(criteria);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next = clean(form);
    if (isEmpty(next)) {
      setEmpty(true);
      setCriteria(undefined);
      setTimeout(() => emptyRef.current?.focus(), 0);
      return;
    }
    setEmpty(false);
    setCriteria(next);
    // The criteria stay in the address: the back button from a patient returns to these results.
    history.replaceState(null, '', `${PATHS.patients}?${toQuery(next)}`);
  };
  const rows = search.data ?? [];
  return (
    <Page title={t('clinic.search.title')}>
      <form className="search-form" onSubmit={submit} noValidate role="search" aria-label={t('clinic.search.title')}>
        <div className="search-fields">
          {FIELDS.map((f) => (
            <div className="field" key={f.key}>
              <label htmlFor={`search-${f.key}`}>{t(`clinic.search.field.${f.key}`)}</label>
              <input id={`search-${f.key}`} name={f.key} type={f.type} autoComplete={f.autoComplete} {...(f.inputMode ? { inputMode: f.inputMode } : {})} value={form[f.key]} onChange={(e) => setForm({ ...form, [f.key]: e.target.value })} />
            </div>
          ))}
        </div>
        <div className="actions">
          <button type="submit" className="button">{t('clinic.search.submit')}</button>
          <button type="button" className="button secondary" onClick={() => { setForm(EMPTY); setCriteria(undefined); setEmpty(false); history.replaceState(null, '', PATHS.patients); }}>{t('clinic.search.clear')}</button>
        </div>
      </form>
      <p className="note">{t('clinic.search.hint')}</p>
      {empty && <div role="alert" className="alert" tabIndex={-1} ref={emptyRef}><p>{t('clinic.search.empty')}</p></div>}
      {criteria && <QueryState query={search} />}
      {criteria && search.data && (
        <p role="status" className="status">{rows.length === 0 ? t('clinic.search.none') : t('clinic.search.found', { count: rows.length })}</p>
      )}
      {rows.length > 0 && <ol className="list results">{rows.map((row, i) => <Row key={row.key} row={row} index={i} />)}</ol>}
      {!criteria && <MyPatients />}
    </Page>
  );
}
