import { createCarnet } from '../app/app.js';
import { ConfigError, loadConfig } from '../config/config.js';
import { CARNET_VERSION } from '../version.js';
import { closeOnSignals } from './shutdown.js';

/** `carnet hl7`: the HL7 v2 gateway alone (MLLP listener and POST /hl7v2, no FHIR API), e.g. in its own process. */
export async function hl7Command(): Promise<void> {
  const config = loadConfig();
  if (config.hl7.mllpPort === undefined) throw new ConfigError('carnet hl7 needs the MLLP listener: CARNET_MLLP_PORT must not be "off"');
  const carnet = await createCarnet(config, {}, { fhir: false });
  await carnet.server.listen({ port: config.port, host: config.host });
  const port = await carnet.mllp.listen(config.hl7.mllpPort, config.hl7.mllpHost);
  carnet.log.info(
    { version: CARNET_VERSION, mllp: `${config.hl7.tls ? 'tls' : 'tcp'}://${config.hl7.mllpHost}:${port}`, http: `${config.baseUrl}/hl7v2`, database: carnet.db.description },
    `Carnet ${CARNET_VERSION} HL7 v2 gateway: MLLP on port ${port}, HTTP at ${config.baseUrl}/hl7v2`,
  );
  closeOnSignals(carnet);
}
