import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import { setupI18n } from './i18n.js';
import './styles.css';

/** Mounts an app in #root with the catalogues loaded (synchronously: they are bundled, both languages). */
export function boot(app: ReactNode): void {
  const i18n = setupI18n();
  const root = document.getElementById('root');
  if (!root) throw new Error('no #root element');
  createRoot(root).render(<StrictMode><I18nextProvider i18n={i18n}>{app}</I18nextProvider></StrictMode>);
}
