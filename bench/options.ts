import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Command-line options of `npm run bench` (see bench/README.md). */
export interface BenchOptions {
  readonly repoRoot: string;
  readonly dir: string;
  readonly limit: number | undefined;
  readonly db: 'pglite' | 'postgres' | 'both' | undefined;
  readonly pgUrl: string;
  readonly maxSeconds: number;
  readonly requests: number;
  readonly warmup: number;
  /** Share of the files loaded at concurrency 1 (the rest at `concurrency`). */
  readonly serialShare: number;
  readonly concurrency: number;
  readonly prefer: 'minimal' | 'representation';
  readonly cpuProfDir: string | undefined;
  /** Extra flags for the server's node process (e.g. --max-old-space-size=200). */
  readonly nodeArgs: readonly string[];
  readonly keepDb: boolean;
  readonly resultsDir: string;
  readonly skipBaseline: boolean;
  /** API processes of the server on PostgreSQL (CARNET_WORKERS). */
  readonly workers: number;
  /** Extra environment of the server (`--server-env KEY=VALUE`, repeatable). */
  readonly serverEnv: Readonly<Record<string, string>>;
}

export const USAGE = `Usage: npm run bench -- [options]     (or: node dist/bench/store-bench.js [options])

  --dir <folder>          Synthea transaction bundles (.json.gz / .json); default ../shared/data/synthea-r4/large
  --limit <n>             only the first n files (sorted by name)
  --db <pglite|postgres|both>
                          default: both when PostgreSQL answers at --pg-url, else pglite
  --pg-url <url>          PostgreSQL server for the bench database; default postgres://postgres@127.0.0.1:5432/postgres
  --max-seconds <s>       time bound of each phase (load c1, load c4, each latency measurement, baseline); default 300
  --requests <n>          requests per latency measurement; default 2000
  --warmup <n>            untimed requests before each latency measurement; default 50
  --serial-share <0..1>   share of files loaded at concurrency 1; default 0.2
  --concurrency <n>       concurrency of the second load phase and of the concurrent latency runs; default 4
  --prefer <minimal|representation>
                          Prefer: return=… sent with the transactions; default minimal
  --cpu-prof <dir>        run the server child under node --cpu-prof, writing the profile into <dir>
                          (summarise it with: node dist/bench/profile-summary.js <file> --results <json> --phase "load c4")
  --node-arg <flag>       extra node flag for the server child, repeatable (e.g. --node-arg=--max-old-space-size=200)
  --no-baseline           skip the direct PostgreSQL bulk-insert baseline
  --server-env <K=V>      extra environment variable of the server, repeatable (e.g. CARNET_AUDIT_READS=async)
  --workers <n>           API processes of the server on PostgreSQL (CARNET_WORKERS); default 1
  --keep-db               do not drop the PostgreSQL bench database / PGlite directory at the end
  --results <dir>         where the JSON results go; default bench/results
  --help`;

export class UsageError extends Error {}

function positiveInt(name: string, raw: string | undefined, min = 1): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`${name} needs an integer ≥ ${min} (got "${raw ?? ''}")`);
  return value;
}

/** The repository root: dist/bench/options.js → ../..; bench/options.ts run directly → .. */
function findRepoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return basename(dirname(here)) === 'dist' ? resolve(here, '..', '..') : resolve(here, '..');
}

export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const repoRoot = findRepoRoot();
  let dir = resolve(repoRoot, '..', 'shared', 'data', 'synthea-r4', 'large');
  let limit: number | undefined;
  let db: BenchOptions['db'];
  let pgUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
  let maxSeconds = 300;
  let requests = 2000;
  let warmup = 50;
  let serialShare = 0.2;
  let concurrency = 4;
  let prefer: BenchOptions['prefer'] = 'minimal';
  let cpuProfDir: string | undefined;
  const nodeArgs: string[] = [];
  let keepDb = false;
  let resultsDir = resolve(repoRoot, 'bench', 'results');
  let skipBaseline = false;
  let workers = 1;
  const serverEnv: Record<string, string> = {};

  const args = [...argv];
  while (args.length > 0) {
    const arg = args.shift() as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? (arg.split(/=(.*)/s, 2) as [string, string]) : [arg, undefined];
    const value = () => {
      const v = inline ?? args.shift();
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--dir':
        dir = resolve(value());
        break;
      case '--limit':
        limit = positiveInt('--limit', value());
        break;
      case '--db': {
        const v = value();
        if (v !== 'pglite' && v !== 'postgres' && v !== 'both') throw new UsageError(`--db must be pglite, postgres or both (got "${v}")`);
        db = v;
        break;
      }
      case '--pg-url':
        pgUrl = value();
        break;
      case '--max-seconds':
        maxSeconds = positiveInt('--max-seconds', value());
        break;
      case '--requests':
        requests = positiveInt('--requests', value());
        break;
      case '--warmup':
        warmup = positiveInt('--warmup', value(), 0);
        break;
      case '--serial-share': {
        const v = Number(value());
        if (!(v >= 0 && v <= 1)) throw new UsageError('--serial-share must be between 0 and 1');
        serialShare = v;
        break;
      }
      case '--concurrency':
        concurrency = positiveInt('--concurrency', value());
        break;
      case '--prefer': {
        const v = value();
        if (v !== 'minimal' && v !== 'representation') throw new UsageError('--prefer must be minimal or representation');
        prefer = v;
        break;
      }
      case '--cpu-prof':
        cpuProfDir = resolve(value());
        break;
      case '--node-arg':
        nodeArgs.push(value());
        break;
      case '--server-env': {
        const [key, ...rest] = value().split('=');
        if (!key || rest.length === 0) throw new UsageError('--server-env takes KEY=VALUE');
        serverEnv[key] = rest.join('=');
        break;
      }
      case '--workers':
        workers = positiveInt('--workers', value());
        break;
      case '--keep-db':
        keepDb = true;
        break;
      case '--no-baseline':
        skipBaseline = true;
        break;
      case '--results':
        resultsDir = resolve(value());
        break;
      default:
        throw new UsageError(`Unknown option "${arg}"`);
    }
  }
  return { repoRoot, dir, limit, db, pgUrl, maxSeconds, requests, warmup, serialShare, concurrency, prefer, cpuProfDir, nodeArgs, keepDb, resultsDir, skipBaseline, workers, serverEnv };
}
