import type { Carnet } from '../app/app.js';

/** SIGINT/SIGTERM: stop accepting requests, finish those in flight, close the database, exit (once). */
export function closeOnSignals(carnet: Carnet): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    carnet.log.info({ signal }, 'shutting down');
    await carnet.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
