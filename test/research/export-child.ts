import { pino } from 'pino';
import { createCarnet } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { announceReady } from '../support/children.js';

/**
 * A Carnet API process for export-restart.test.ts, on the database and export directory its environment
 * names, with the background worker on: it is killed with SIGKILL in the middle of an export.
 */
// The test runner runs every file under test/: only a process started by export-restart.test.ts is a child.
if (process.env.CARNET_TEST_CHILD !== '1') process.exit(0);
const carnet = await createCarnet(loadConfig(), { log: pino({ level: process.env.LOG_LEVEL ?? 'warn' }) });
await carnet.server.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
announceReady(carnet);
