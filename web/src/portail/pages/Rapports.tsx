import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { Page, QueryState } from '../Page.js';
import { myReports, type ReportView } from '../reports.js';
import { useSession } from '../session.js';

const KINDS = ['imaging', 'discharge', 'consult'] as const;

function Report(props: { report: ReportView }) {
  const { t } = useTranslation();
  const r = props.report;
  return (
    <li className="item">
      <article aria-labelledby={`report-${r.id}`}>
        <h3 id={`report-${r.id}`}>{r.title}</h3>
        <p className="note">
          {[r.date && formatDate(r.date, currentLang()), r.by && t('portal.reports.by', { who: r.by }), r.where].filter(Boolean).join(' — ')}
        </p>
        {r.sections.map((s, i) => (
          <div key={i} className="report-text">
            {s.title && <h4>{s.title}</h4>}
            {s.text.split(/\n{2,}/).map((para, k) => <p key={k}>{para}</p>)}
          </div>
        ))}
        {r.unreadable && <p>{t('portal.reports.unreadable')}</p>}
        {!r.unreadable && r.sections.length === 0 && <p>{t('portal.reports.noText')}</p>}
      </article>
    </li>
  );
}

/** Rapports: imaging reports, discharge summaries and consultation notes, with their text. */
export function Rapports() {
  const { t } = useTranslation();
  const { client, patientId } = useSession();
  const reports = useQuery({ queryKey: ['reports', patientId], queryFn: () => myReports(client, patientId) });
  return (
    <Page title={t('portal.reports.title')}>
      <p>{t('portal.reports.intro')}</p>
      <QueryState query={reports} />
      {reports.data && KINDS.map((kind) => (
        <section key={kind} aria-labelledby={`reports-${kind}`}>
          <h2 id={`reports-${kind}`}>{t(`portal.reports.kinds.${kind}`)}</h2>
          {reports.data[kind].length === 0
            ? <p>{t(`portal.reports.none.${kind}`)}</p>
            : <ul className="list" aria-labelledby={`reports-${kind}`}>{reports.data[kind].map((r) => <Report key={r.id} report={r} />)}</ul>}
        </section>
      ))}
    </Page>
  );
}
