import cluster from 'node:cluster';
import { pino } from 'pino';
import type { CarnetConfig } from '../config/config.js';

/**
 * `CARNET_WORKERS=N` on PostgreSQL: N API processes share the HTTP and MLLP ports (node:cluster). Carnet
 * keeps no state in a process — the database holds it all, migrations and re-indexing take advisory
 * locks — so more processes simply use more cores. The primary only supervises: it restarts a worker that
 * dies and forwards shutdown signals.
 */
export function superviseWorkers(config: CarnetConfig): void {
  const log = pino({ level: config.logLevel, base: { service: 'carnet', role: 'primary' } });
  let stopping = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < config.workers; i++) fork();
  log.info({ workers: config.workers, url: config.baseUrl }, `Carnet: ${config.workers} API processes on ${config.baseUrl}`);
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log.error({ pid: worker.process.pid, code, signal }, 'an API process stopped; starting another');
    setTimeout(fork, 1000).unref();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down the API processes');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    let left = Object.keys(cluster.workers ?? {}).length;
    if (left === 0) process.exit(0);
    cluster.on('exit', () => {
      left -= 1;
      if (left <= 0) process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

export function isSupervisor(config: CarnetConfig): boolean {
  return config.workers > 1 && cluster.isPrimary;
}
