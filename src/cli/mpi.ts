import { parseArgs } from 'node:util';
import { createCarnet } from '../app/app.js';
import { loadConfig } from '../config/config.js';
import { relink, type RelinkReport } from '../mpi/service/relink.js';

const USAGE = `Usage: carnet mpi relink [--apply]
  Judges every record of the master patient index again with the model and normalisation in force
  (docs/mpi.md). Without --apply: a dry run that changes nothing and says what would change.`;

/** `carnet mpi …`: operator commands of the master patient index. */
export async function mpiCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { apply: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help || positionals[0] !== 'relink' || positionals.length !== 1) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  if (!config.mpi) {
    console.error('The master patient index is turned off (CARNET_MPI=off): nothing to re-link.');
    return 2;
  }
  const carnet = await createCarnet(config, {}, { background: false, fhir: false });
  try {
    const mpi = carnet.ctx.mpi!;
    process.stderr.write(`carnet mpi relink on ${carnet.db.description} (${values.apply ? 'applying' : 'dry run: nothing is changed'})\n`);
    const started = Date.now();
    let shown = 0;
    const report = await relink(carnet.ctx, mpi, {
      apply: values.apply === true,
      onProgress: (pass, done, total) => {
        if (done !== total && Date.now() - shown < 1000) return;
        shown = Date.now();
        process.stderr.write(`  ${pass}: ${done}/${total} records\n`);
      },
    });
    console.log(formatReport(report, (Date.now() - started) / 1000));
    return 0;
  } finally {
    await carnet.close();
  }
}

export function formatReport(r: RelinkReport, seconds: number): string {
  const verb = r.applied ? '' : ' (would be)';
  return [
    `${r.records} records judged in ${seconds.toFixed(1)} s${r.applied ? '' : ' — dry run, rolled back'}`,
    `  normalised demographics or blocking keys changed${verb}: ${r.featuresChanged}`,
    `  links undone into review${verb}: ${r.split}`,
    `  records joined to the person they now match${verb}: ${r.joined}`,
    `  review items queued${verb}: ${r.queued}`,
    `  kept: ${r.kept.stillLinked} still linked, ${r.kept.stillAlone} still alone, ${r.kept.reviewed} reviewed by a person, ${r.kept.merged} merged away`,
  ].join('\n');
}
