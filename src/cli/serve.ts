import { createCarnet } from '../app/app.js';
import { loadConfig } from '../config/config.js';
import { isSupervisor, superviseWorkers } from './cluster.js';
import { seedDemoIfEmpty } from '../demo/seed.js';
import { demoBanner, seedDemoAccounts } from '../demo/accounts.js';
import { CARNET_VERSION } from '../version.js';
import { closeOnSignals } from './shutdown.js';

/** `carnet serve`: starts the API and logs what it is doing (URL, database, mode). */
export async function serve(): Promise<void> {
  const config = loadConfig();
  if (isSupervisor(config)) {
    superviseWorkers(config);
    return;
  }
  const carnet = await createCarnet(config);
  // The validation workers boot (they load the R4 definitions) while the demo is seeded: ready before the first request.
  const warmStart = performance.now();
  const warming = carnet.ctx.validation?.warm().then((workers) => {
    if (workers > 0) carnet.log.info({ workers, ms: Math.round(performance.now() - warmStart) }, 'validation workers ready');
  });
  await seedDemoIfEmpty(carnet);
  // Demo accounts are printed in demo mode only: a production start (CARNET_DEMO=off) seeds and shows none.
  const accounts = config.demo && carnet.db.kind === 'pglite' ? await seedDemoAccounts(carnet) : undefined;
  await warming;
  await carnet.server.listen({ port: config.port, host: config.host });
  const mllpPort = config.hl7.mllpPort === undefined ? undefined : await carnet.mllp.listen(config.hl7.mllpPort, config.hl7.mllpHost);
  carnet.log.info(
    {
      version: CARNET_VERSION,
      url: config.baseUrl,
      fhir: carnet.ctx.fhirBaseUrl,
      database: carnet.db.description,
      mode: carnet.db.kind === 'pglite' ? 'embedded' : 'postgres',
      schemaVersion: carnet.schemaVersion,
      mllp: mllpPort === undefined ? 'off' : `${config.hl7.tls ? 'tls' : 'tcp'}://${config.hl7.mllpHost}:${mllpPort}`,
    },
    `Carnet ${CARNET_VERSION} listening at ${config.baseUrl} (FHIR R4 at ${carnet.ctx.fhirBaseUrl}) on ${carnet.db.description}`,
  );
  if (accounts) process.stdout.write(`${demoBanner(accounts, config.baseUrl)}\n`);
  closeOnSignals(carnet);
}
