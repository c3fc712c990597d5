import { useTranslation } from 'react-i18next';
import { formatDate } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { QueryState } from '../../shared/Page.js';
import type { SummarySection } from '../summary.js';

/** The IPS on one screen: every section with its lines; a withheld section says so, never what. */
export function PatientSummary(props: { query: { isPending: boolean; isError: boolean; error?: unknown; refetch: () => unknown }; sections: readonly SummarySection[] }) {
  const { t } = useTranslation();
  const lang = currentLang();
  return (
    <>
      <QueryState query={props.query} />
      <div className="summary-grid">
        {props.sections.map((section) => (
          <section key={section.code} className="summary-section" aria-labelledby={`section-${section.code}`}>
            <h2 id={`section-${section.code}`}>{section.title}</h2>
            {section.lines.length === 0 && !section.withheld && <p className="note">{t('clinic.summary.nothing')}</p>}
            {section.lines.length > 0 && (
              <ul>
                {section.lines.map((line) => (
                  <li key={line.key}>
                    <span>{line.text}</span>
                    {line.detail && <span className="note"> — {line.detail}</span>}
                    {line.when && <span className="note"> ({formatDate(line.when, lang, 'medium')})</span>}
                  </li>
                ))}
              </ul>
            )}
            {section.withheld && <p className="hidden-note">{t('clinic.summary.withheld')}</p>}
          </section>
        ))}
      </div>
    </>
  );
}
