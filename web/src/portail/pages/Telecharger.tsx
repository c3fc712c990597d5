import type { Bundle, Resource } from '@medplum/fhirtypes';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Page } from '../Page.js';
import { useSession } from '../session.js';

type Format = 'bundle' | 'ndjson' | 'ips';

/** Saves text as a file the browser downloads (a Blob URL, revoked at once: nothing stays in memory). */
function saveFile(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Télécharger: the whole record ($everything, every page) as a Bundle or NDJSON, and the IPS ($summary). */
export function Telecharger() {
  const { t } = useTranslation();
  const { client, patientId } = useSession();
  const [busy, setBusy] = useState<Format>();
  const [message, setMessage] = useState('');
  const day = new Date().toISOString().slice(0, 10);
  const running = useRef(false);
  const download = async (format: Format) => {
    // Synchronous guard: a double click prepares one file.
    if (running.current) return;
    running.current = true;
    setBusy(format);
    setMessage(t('portal.download.preparing'));
    try {
      if (format === 'ips') {
        const summary = await client.request<Bundle>(`Patient/${encodeURIComponent(patientId)}/$summary`);
        const file = `carnet-resume-ips-${day}.json`;
        saveFile(file, 'application/fhir+json', JSON.stringify(summary, null, 2));
        setMessage(t('portal.download.ready', { file, count: summary.entry?.length ?? 0 }));
        return;
      }
      const resources = await client.request<Resource[]>(`Patient/${encodeURIComponent(patientId)}/$everything?_count=500`, { pageLimit: 0, flat: true });
      const file = `carnet-dossier-${day}.${format === 'ndjson' ? 'ndjson' : 'json'}`;
      if (format === 'ndjson') saveFile(file, 'application/fhir+ndjson', resources.map((r) => JSON.stringify(r)).join('\n') + '\n');
      else saveFile(file, 'application/fhir+json', JSON.stringify({ resourceType: 'Bundle', type: 'collection', timestamp: new Date().toISOString(), entry: resources.map((resource) => ({ resource })) }, null, 2));
      setMessage(t('portal.download.ready', { file, count: resources.length }));
    } catch {
      setMessage(t('portal.download.failed'));
    } finally {
      running.current = false;
      setBusy(undefined);
    }
  };
  const button = (format: Format, label: string) => (
    <button type="button" className="button" aria-disabled={busy !== undefined} onClick={() => void download(format)}>{label}</button>
  );
  return (
    <Page title={t('portal.download.title')}>
      <p>{t('portal.download.intro')}</p>
      <section aria-labelledby="dl-everything">
        <h2 id="dl-everything">{t('portal.download.everythingTitle')}</h2>
        <p>{t('portal.download.everythingText')}</p>
        <p className="actions">{button('bundle', t('portal.download.bundle'))} {button('ndjson', t('portal.download.ndjson'))}</p>
      </section>
      <section aria-labelledby="dl-ips">
        <h2 id="dl-ips">{t('portal.download.ipsTitle')}</h2>
        <p>{t('portal.download.ipsText')}</p>
        <p className="actions">{button('ips', t('portal.download.ips'))}</p>
      </section>
      <p role="status" className="status-line">{message}</p>
      <section aria-labelledby="dl-share">
        <h2 id="dl-share">{t('portal.download.shareTitle')}</h2>
        <p>{t('portal.download.shareText')}</p>
      </section>
    </Page>
  );
}
