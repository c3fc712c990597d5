import { pino } from 'pino';
import { createCarnet } from '../src/app/app.js';
import { loadConfig } from '../src/config/config.js';

/** An API process of `npm run bench:jobs`: the background worker with a job kind that does nothing (the queue's own cost). */
const carnet = await createCarnet(loadConfig(), { log: pino({ level: 'warn' }) }, { fhir: false });
carnet.background.jobs.define('bench.noop', async () => undefined);
process.stdout.write('READY\n');
process.on('SIGTERM', () => void carnet.close().then(() => process.exit(0)));
