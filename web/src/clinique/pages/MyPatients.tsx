import type { Bundle } from '@medplum/fhirtypes';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { QueryState } from '../../shared/Page.js';
import { followLink } from '../../shared/router.js';
import { TableScroll } from '../../shared/TableScroll.js';
import type Client from 'fhirclient/lib/Client';
import { myPatientQueries, myPatientsOf, type MyPatient } from '../my-patients.js';
import { ageOn } from '../patient-search.js';
import { PATHS } from '../routes.js';
import { useSession } from '../session.js';

/** The three searches of "Mes patients" (the notifications inbox subscribes on the same list). */
export async function loadMyPatients(client: Client, fhirUser: string): Promise<MyPatient[]> {
  const q = myPatientQueries(fhirUser, new Date());
  const [gp, teams, encounters] = await Promise.all([q.familyDoctor, q.careTeams, q.encounters].map((url) => client.request<Bundle>(url)));
  return myPatientsOf(gp, teams, encounters);
}

/** "Mes patients" on the clinician's home: those the record links them to, the most recently seen first. */
export function MyPatients() {
  const { t } = useTranslation();
  const lang = currentLang();
  const { client, fhirUser } = useSession();
  const list = useQuery({ queryKey: ['my-patients', fhirUser], enabled: Boolean(fhirUser), queryFn: () => loadMyPatients(client, fhirUser as string) });
  const rows = list.data ?? [];
  return (
    <section aria-labelledby="my-patients-title">
      <h2 id="my-patients-title">{t('clinic.mine.title')}</h2>
      <p className="note">{t('clinic.mine.intro')}</p>
      {!fhirUser && <p>{t('clinic.mine.noPractitioner')}</p>}
      <QueryState query={list} />
      {list.data && rows.length === 0 && <p>{t('clinic.mine.none')}</p>}
      {rows.length > 0 && (
        <TableScroll label={t('clinic.mine.tableLabel')}>
          <table className="stack">
            <caption className="visually-hidden">{t('clinic.mine.title')}</caption>
            <thead><tr><th scope="col">{t('clinic.mine.colPatient')}</th><th scope="col">{t('clinic.mine.colBorn')}</th><th scope="col">{t('clinic.mine.colWhy')}</th><th scope="col">{t('clinic.mine.colSeen')}</th></tr></thead>
            <tbody>
              {rows.map((row) => {
                const href = PATHS.patient(row.id);
                return (
                  <tr key={row.id}>
                    <th scope="row"><a href={href} onClick={(e) => followLink(e, href)}>{row.name || t('clinic.search.noName')}</a>{row.nam ? <><br /><span className="note">{t('clinic.search.nam', { nam: row.nam })}</span></> : null}</th>
                    <td data-label={t('clinic.mine.colBorn')}>{row.birthDate ? t('clinic.search.born', { date: formatDate(row.birthDate, lang, 'medium'), age: ageOn(row.birthDate, new Date()) ?? '' }) : '—'}</td>
                    <td data-label={t('clinic.mine.colWhy')}>{row.reasons.map((r) => t(`clinic.mine.reason.${r}`)).join(', ')}</td>
                    <td data-label={t('clinic.mine.colSeen')}>{row.lastSeen ? formatDate(row.lastSeen, lang, 'medium') : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
