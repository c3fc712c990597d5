import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/** The real Carnet server as a child process (`node dist/src/cli/carnet.js serve`) and its resource use. */

/** The system client every bench/test server child registers at startup (CARNET_BOOTSTRAP_CLIENT_*). */
export const BENCH_CLIENT = { id: 'carnet-bench', secret: 'carnet-bench-secret-not-for-production-0123456789' };
/** The server secret of bench/test children (a production start refuses to run without one). */
const BENCH_SECRET = 'carnet-bench-server-secret-not-for-production-0123456789';

export interface ServerChild {
  readonly pid: number;
  readonly baseUrl: string;
  /** An access token of the bootstrap client (client credentials over HTTP), renewed before it expires. */
  token(): Promise<string>;
  /** Headers carrying that token. */
  authorization(): Promise<Record<string, string>>;
  readonly sampler: ProcessSampler;
  /** The last lines the server wrote, for error reports. */
  recentOutput(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly repoRoot: string;
  /** DATABASE_URL or CARNET_DATA_DIR, and anything else the run needs. */
  readonly env: Record<string, string>;
  readonly cpuProfDir?: string | undefined;
  readonly nodeArgs?: readonly string[];
  /** The port to listen on (default: a free one the kernel gives). */
  readonly port?: number;
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function startServer(options: StartOptions): Promise<ServerChild> {
  const port = options.port ?? await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const entry = resolve(options.repoRoot, 'dist', 'src', 'cli', 'carnet.js');
  const nodeArgs = [...(options.nodeArgs ?? []), ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [])];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, entry, 'serve'], {
    cwd: options.repoRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(port),
      HOST: '127.0.0.1',
      CARNET_BASE_URL: baseUrl,
      LOG_LEVEL: 'warn',
      CARNET_DEMO: 'off',
      NODE_ENV: 'production',
      CARNET_SECRET: BENCH_SECRET,
      CARNET_BOOTSTRAP_CLIENT_ID: BENCH_CLIENT.id,
      CARNET_BOOTSTRAP_CLIENT_SECRET: BENCH_CLIENT.secret,
      // Lets a run compare the audit trail's read modes (docs/security.md): CARNET_AUDIT_READS=async npm run bench
      ...(process.env.CARNET_AUDIT_READS ? { CARNET_AUDIT_READS: process.env.CARNET_AUDIT_READS } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((r) => child.once('exit', (code, signal) => {
    exited = { code, signal };
    r();
  }));
  const pid = child.pid;
  if (pid === undefined) throw new Error('Could not start the Carnet server');

  const recentOutput = () => lines.join('\n');
  const started = Date.now();
  for (;;) {
    if (exited) throw new Error(`The Carnet server exited during startup (code ${exited.code}, signal ${exited.signal}):\n${recentOutput()}`);
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      if (response.ok) {
        await response.arrayBuffer();
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 60_000) {
      child.kill('SIGKILL');
      throw new Error(`The Carnet server did not answer /healthz within 60 s:\n${recentOutput()}`);
    }
    await sleep(100);
  }

  const sampler = new ProcessSampler(pid);
  sampler.start();
  let current: { token: string; until: number } | undefined;
  const token = async (): Promise<string> => {
    if (current && current.until > Date.now()) return current.token;
    current = await clientCredentialsToken(baseUrl);
    return current.token;
  };
  return {
    pid,
    baseUrl,
    token,
    async authorization() {
      return { authorization: `Bearer ${await token()}` };
    },
    sampler,
    recentOutput,
    async stop() {
      sampler.stop();
      if (exited) return;
      child.kill('SIGTERM');
      // A graceful exit lets `--cpu-prof` write its profile.
      const timeout = sleep(20_000).then(() => 'timeout' as const);
      if ((await Promise.race([exit, timeout])) === 'timeout') {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}

const tokens = new Map<string, Promise<{ token: string; until: number }>>();

/** `Authorization` header of the bench client for a server (a token per server, renewed before it expires). */
export async function authHeaders(baseUrl: string): Promise<{ authorization: string }> {
  let pending = tokens.get(baseUrl);
  if (!pending || (await pending).until <= Date.now()) {
    pending = clientCredentialsToken(baseUrl);
    tokens.set(baseUrl, pending);
  }
  return { authorization: `Bearer ${(await pending).token}` };
}

/** A token of the bench client through the real client-credentials flow (client_secret_basic). */
export async function clientCredentialsToken(baseUrl: string): Promise<{ token: string; until: number }> {
  const response = await fetch(`${baseUrl}/auth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${BENCH_CLIENT.id}:${BENCH_CLIENT.secret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials&scope=system/*.cruds',
  });
  if (!response.ok) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { access_token: string; expires_in: number };
  return { token: body.access_token, until: Date.now() + (body.expires_in - 30) * 1000 };
}

/** CPU seconds used so far by the server, by all postgres processes of this machine, by this bench process, and by the machine. */
export interface CpuSnapshot {
  readonly at: number;
  readonly server: number;
  readonly postgres: number;
  readonly bench: number;
  readonly machineBusy: number;
  /** Time the hypervisor gave this VM's CPUs to someone else (`steal` in /proc/stat). */
  readonly steal: number;
}

export interface PhaseUsage {
  readonly seconds: number;
  /** The phase on the machine's monotonic clock (µs), the clock of V8 CPU profiles: see profile-summary.ts --phase. */
  readonly monotonicUs: { readonly start: number; readonly end: number };
  readonly peakRssMb: number;
  /** Average cores busy during the phase, per consumer (a 2-core machine tops out at 2). */
  readonly cores: { readonly server: number; readonly postgres: number; readonly bench: number; readonly machine: number; readonly other: number; readonly steal: number };
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

function procTicks(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function commOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Sums CPU ticks of processes named `postgres`, remembering finished ones so the total never goes back. */
class PostgresCpu {
  private readonly last = new Map<string, number>();
  private finished = 0;

  ticks(): number {
    const seen = new Set<string>();
    let live = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(pid)) continue;
      if (commOf(pid) !== 'postgres') continue;
      const t = procTicks(pid);
      seen.add(pid);
      this.last.set(pid, t);
      live += t;
    }
    for (const [pid, t] of this.last) {
      if (!seen.has(pid)) {
        this.finished += t;
        this.last.delete(pid);
      }
    }
    return live + this.finished;
  }
}

/** Busy ticks of the machine (user … softirq, without idle, iowait and steal) and stolen ticks. */
function machineTicks(): { busy: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, ...values] = line.trim().split(/\s+/);
  const n = values.map(Number);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  const steal = n[7] ?? 0;
  return { busy: n.slice(0, 8).reduce((a, b) => a + b, 0) - idle - steal, steal };
}

/** CLOCK_MONOTONIC in µs (libuv's hrtime), the time base of V8 profile timestamps. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** The process and all its descendants (a server started with CARNET_WORKERS runs several processes). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []));
  return tree;
}

function treeTicks(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + procTicks(pid), 0);
}

function treeRssMb(root: number): number | undefined {
  const values = processTree(root).map((pid) => rssMb(pid)).filter((v): v is number => v !== undefined);
  return values.length > 0 ? values.reduce((a, b) => a + b, 0) : undefined;
}

export function rssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+([0-9]+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples the server's VmRSS every 500 ms and measures CPU per phase. */
export class ProcessSampler {
  private timer: NodeJS.Timeout | undefined;
  private peakOverall = 0;
  private peakPhase = 0;
  private readonly pg = new PostgresCpu();

  constructor(private readonly pid: number) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 500);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private sample(): void {
    const rss = treeRssMb(this.pid);
    if (rss === undefined) return;
    this.peakOverall = Math.max(this.peakOverall, rss);
    this.peakPhase = Math.max(this.peakPhase, rss);
  }

  get peakRssMb(): number {
    return this.peakOverall;
  }

  currentRssMb(): number {
    return treeRssMb(this.pid) ?? 0;
  }

  snapshot(): CpuSnapshot {
    const bench = process.cpuUsage();
    const machine = machineTicks();
    return {
      at: performance.now(),
      server: treeTicks(this.pid) / CLOCK_TICKS,
      postgres: this.pg.ticks() / CLOCK_TICKS,
      bench: (bench.user + bench.system) / 1e6,
      machineBusy: machine.busy / CLOCK_TICKS,
      steal: machine.steal / CLOCK_TICKS,
    };
  }

  /** Starts a phase: resets the phase peak and returns a function that ends it. */
  beginPhase(): () => PhaseUsage {
    this.sample();
    this.peakPhase = this.currentRssMb();
    const start = this.snapshot();
    const startUs = monotonicUs();
    return () => {
      this.sample();
      const end = this.snapshot();
      const endUs = monotonicUs();
      const seconds = (end.at - start.at) / 1000;
      const cores = (a: number, b: number) => (seconds > 0 ? (b - a) / seconds : 0);
      return {
        seconds,
        monotonicUs: { start: startUs, end: endUs },
        peakRssMb: this.peakPhase,
        cores: {
          server: cores(start.server, end.server),
          postgres: cores(start.postgres, end.postgres),
          bench: cores(start.bench, end.bench),
          machine: cores(start.machineBusy, end.machineBusy),
          // Everything else running on the machine meanwhile (other users' tests, …): a noisy-neighbour warning.
          steal: cores(start.steal, end.steal),
          other: Math.max(0, cores(start.machineBusy, end.machineBusy) - cores(start.server, end.server) - cores(start.postgres, end.postgres) - cores(start.bench, end.bench)),
        },
      };
    };
  }
}
