import { pino } from 'pino';
import type { AddressInfo } from 'node:net';
import { createCarnet } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';

/**
 * A Carnet API process for the kill -9 test (durability.test.ts): the real server and background, on the
 * PostgreSQL schema it is given, listening on a free port it prints.
 */
// The test runner runs every file under test/: only a process started by durability.test.ts is a child.
if (process.env.CARNET_TEST_CHILD !== '1') process.exit(0);
const carnet = await createCarnet(loadConfig(), { log: pino({ level: process.env.LOG_LEVEL ?? 'warn' }) });
await carnet.server.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`READY ${(carnet.server.server.address() as AddressInfo).port}\n`);
const stop = async () => {
  await carnet.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
