import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { BaselineResult } from './bulk-baseline.js';
import type { LatencyResult } from './latency.js';
import type { LoadPhaseResult } from './load.js';
import type { PhaseUsage } from './server.js';

/** The results of one database run: printed as tables on stdout and saved as JSON. */

export interface DbRunResult {
  readonly db: 'pglite' | 'postgres';
  readonly database: string;
  readonly startedAt: string;
  readonly files: number;
  readonly resourcesInFiles: number;
  readonly load: readonly (LoadPhaseResult & { usage: PhaseUsage })[];
  readonly latency: readonly (LatencyResult & { usage: PhaseUsage })[];
  readonly baseline?: BaselineResult & { ratioServerToBaseline: number | undefined };
  readonly server: { readonly peakRssMb: number; readonly peakRssUnderLoadMb: number; readonly rssAfterStartMb: number };
  readonly rowsInDatabase?: Record<string, number>;
  readonly targets: readonly TargetCheck[];
}

export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly value: string;
  readonly met: boolean;
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const n1 = (v: number) => v.toFixed(1);
const n2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

const usageCells = (u: PhaseUsage) => [n0(u.peakRssMb), n2(u.cores.server), n2(u.cores.postgres), n2(u.cores.bench), n2(u.cores.other), n2(u.cores.steal)];

export function formatRun(run: DbRunResult): string {
  const out: string[] = [];
  out.push(`\n## ${run.db} — ${run.database}`);
  out.push(`${run.files} bundle files, ${n0(run.resourcesInFiles)} resources in them. CPU columns: average cores busy (this machine has ${cpus().length}); "other" is everything else on the machine, "steal" is CPU time the hypervisor gave to other VMs (both should be ~0 for clean figures).\n`);
  out.push('### Transaction load (POST /fhir)\n');
  out.push(
    table(
      ['phase', 'conc', 'bundles', 'failed', 'resources', 'created', 'seconds', 'resources/s', 'bundles/s', 'bundle p50 ms', 'bundle p95 ms', 'peak RSS MB', 'server CPU', 'postgres CPU', 'bench CPU', 'other CPU', 'steal'],
      run.load.map((p) => [
        p.name + (p.stoppedByTimeLimit ? ' (time limit)' : ''),
        String(p.concurrency),
        `${p.bundles}/${p.bundlesPlanned}`,
        String(p.failedBundles),
        n0(p.resources),
        n0(p.created),
        n1(p.seconds),
        n0(p.resourcesPerSecond),
        n2(p.bundlesPerSecond),
        n1(p.bundleLatencyMs.p50),
        n1(p.bundleLatencyMs.p95),
        ...usageCells(p.usage),
      ]),
    ),
  );
  for (const p of run.load) for (const e of p.errors.slice(0, 5)) out.push(`  ! ${p.name}: ${e}`);

  if (run.latency.length > 0) {
    out.push('\n### Latency (single requests)\n');
    out.push(
      table(
        ['measurement', 'requests', 'errors', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'requests/s', 'peak RSS MB', 'server CPU', 'postgres CPU', 'bench CPU', 'other CPU', 'steal'],
        run.latency.map((l) => [
          l.name + (l.stoppedByTimeLimit ? ' (time limit)' : ''),
          n0(l.requests),
          String(l.errors),
          n2(l.latencyMs.p50),
          n2(l.latencyMs.p95),
          n2(l.latencyMs.p99),
          n2(l.latencyMs.max),
          n0(l.requestsPerSecond),
          ...usageCells(l.usage),
        ]),
      ),
    );
    for (const l of run.latency) if (l.firstError) out.push(`  ! ${l.name}: ${l.firstError}`);
  }

  if (run.baseline) {
    const b = run.baseline;
    out.push('\n### Baseline: direct INSERT … SELECT * FROM unnest(…) into PostgreSQL (no server)\n');
    out.push(
      table(
        ['rows', 'batch', 'MB of JSON', 'seconds', 'resources/s', 'server load c4 / baseline'],
        [[n0(b.rows) + (b.stoppedByTimeLimit ? ' (time limit)' : ''), String(b.batchSize), n1(b.megabytes), n1(b.seconds), n0(b.resourcesPerSecond), b.ratioServerToBaseline === undefined ? '–' : `${(b.ratioServerToBaseline * 100).toFixed(1)} %`]],
      ),
    );
  }

  out.push(`\nServer RSS: ${n0(run.server.rssAfterStartMb)} MB after start, peak ${n0(run.server.peakRssUnderLoadMb)} MB under load, peak ${n0(run.server.peakRssMb)} MB overall.`);
  if (run.rowsInDatabase) {
    out.push(`Rows in the database: ${Object.entries(run.rowsInDatabase).map(([k, v]) => `${k} ${n0(v)}`).join(', ')}.`);
  }
  if (run.targets.length > 0) {
    out.push('\n### Targets\n');
    out.push(table(['target', 'wanted', 'measured', 'met'], run.targets.map((t) => [t.name, t.target, t.value, t.met ? 'yes' : 'NO'])));
  }
  return out.join('\n');
}

export function writeJson(dir: string, db: string, stamp: string, data: unknown): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `store-${db}-${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}
