import { useTranslation } from 'react-i18next';
import { boot } from '../shared/boot.js';
import { Layout } from '../shared/Layout.js';
import { useTitle } from '../shared/useTitle.js';

/** The professional workspace (issue C8) builds on this foundation; until then it says so. */
function Clinique() {
  const { t } = useTranslation();
  useTitle(t('clinic.title'));
  return (
    <Layout home="/" appName={t('clinic.title')}>
      <div className="page">
        <h1>{t('clinic.title')}</h1>
        <p>{t('clinic.soon')}</p>
        <p><a href="/">{t('common.backHome')}</a></p>
      </div>
    </Layout>
  );
}

boot(<Clinique />);
