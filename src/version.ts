import { readFileSync } from 'node:fs';

/** Carnet's version, from package.json (read once at load). */
export const CARNET_VERSION: string = (() => {
  const url = new URL('../../package.json', import.meta.url);
  try {
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
