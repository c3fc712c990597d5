#!/usr/bin/env node
import { ConfigError } from '../config/config.js';
import { CARNET_VERSION } from '../version.js';

const USAGE = `carnet ${CARNET_VERSION} — shared health record (FHIR R4)

Usage:
  carnet serve                      start the API (PORT, DATABASE_URL, CARNET_DATA_DIR, …)
  carnet import <file|dir>...       load FHIR Bundles (.json, .json.gz) and NDJSON (.ndjson, .ndjson.gz)
  carnet generate [--persons N]     write a synthetic Québec population and its ground truth (docs/demo-data.md)
  carnet hl7                        run only the HL7 v2 gateway (MLLP on CARNET_MLLP_PORT, POST /hl7v2 on PORT)
  carnet migrate                    apply database migrations and exit
  carnet reindex                    rebuild the search index from the stored resources
  carnet audit verify               prove the audit trail's hash chain intact, or name the first broken link
  carnet mpi relink [--apply]       judge the MPI's links again after a model change (dry run unless --apply)
  carnet jobs list|show|retry|cancel|consumers
                                    background jobs and change-event consumers (docs/events-and-jobs.md)
  carnet --version`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await (await import('./serve.js')).serve();
      return -1;
    case 'import':
      return (await import('./import.js')).importCommand(rest);
    case 'generate':
      return (await import('./generate.js')).generateCommand(rest);
    case 'hl7':
      await (await import('./hl7.js')).hl7Command();
      return -1;
    case 'migrate':
      return (await import('./migrate.js')).migrateCommand();
    case 'reindex':
      return (await import('./reindex.js')).reindexCommand();
    case 'audit':
      return (await import('./audit.js')).auditCommand(rest);
    case 'mpi':
      return (await import('./mpi.js')).mpiCommand(rest);
    case 'jobs':
      return (await import('./jobs.js')).jobsCommand(rest);
    case '--version':
    case 'version':
      console.log(CARNET_VERSION);
      return 0;
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return 0;
    default:
      console.error(`Unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error);
    // Exit now rather than when the event loop empties: a half-started server keeps database pools and
    // timers alive, and a cluster worker that never listens would otherwise hang unnoticed instead of
    // being restarted by its supervisor.
    process.exit(1);
  },
);
