#!/usr/bin/env node
/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. from `npm run bench -- --cpu-prof <dir>`): self and
 * inclusive time by function, and self time by module/package. With `--results <bench json> --phase <name>`
 * only the samples taken during that bench phase count (both use the machine's monotonic clock).
 *
 *   node dist/bench/profile-summary.js <file.cpuprofile> [--results bench/results/store-….json --phase "load c4"]
 *     [--top 40] [--match src/]     (--match: also list the inclusive time of the matching functions only)
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a package, a Carnet source folder, Node internals, or a V8 pseudo-frame. */
export function moduleOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) {
    if (frame.functionName.startsWith('(')) return frame.functionName;
    return '(native)';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const own = /\/dist\/((?:src|bench|test)\/[^/]+(?:\/[^/]+)?)/.exec(url);
  if (own) return (own[1] as string).replace(/\.js$/, '');
  return url;
}

function frameKey(frame: CallFrame): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(frame.url);
  const file = pkg ? `${pkg[1]}/${pkg[2]}` : frame.url.replace(/^file:\/\/.*?\/dist\//, '').replace(/^file:\/\//, '');
  return `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly sampledMs: number;
  readonly byModule: [string, number][];
  readonly selfByFunction: [string, number][];
  readonly inclusiveByFunction: [string, number][];
}

export function summarizeProfile(profile: CpuProfile, window?: { start: number; end: number }): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Time of each sample: the delta to the next sample (V8's convention), per node id.
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const duration = profile.timeDeltas[i + 1] ?? 0;
    if (window && (t < window.start || t > window.end)) continue;
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + duration);
    total += duration;
  }

  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  const byModule = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id) as ProfileNode;
    add(byModule, moduleOf(node.callFrame), us);
    add(selfByFunction, frameKey(node.callFrame), us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const key = frameKey((byId.get(cur) as ProfileNode).callFrame);
      if (key === '(root)' || seen.has(key)) continue;
      seen.add(key);
      add(inclusive, key, us);
    }
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].map(([k, v]): [string, number] => [k, v / 1000]).sort((a, b) => b[1] - a[1]);
  return {
    totalMs: ((window ? Math.min(window.end, profile.endTime) - Math.max(window.start, profile.startTime) : profile.endTime - profile.startTime)) / 1000,
    sampledMs: total / 1000,
    byModule: sorted(byModule),
    selfByFunction: sorted(selfByFunction),
    inclusiveByFunction: sorted(inclusive),
  };
}

function print(summary: ProfileSummary, top: number, match: string | undefined): void {
  const busy = summary.sampledMs - (summary.byModule.find(([k]) => k === '(idle)')?.[1] ?? 0);
  const pct = (ms: number) => `${((ms / summary.sampledMs) * 100).toFixed(1).padStart(5)} %`;
  const busyPct = (ms: number) => `${((ms / busy) * 100).toFixed(1).padStart(5)} %`;
  const row = ([name, ms]: [string, number]) => `${ms.toFixed(0).padStart(9)} ms ${pct(ms)} ${busyPct(ms)}  ${name}`;
  console.log(`window ${(summary.totalMs / 1000).toFixed(1)} s, sampled ${(summary.sampledMs / 1000).toFixed(1)} s, busy (not idle) ${(busy / 1000).toFixed(1)} s`);
  console.log('columns: ms, % of sampled time, % of busy time\n');
  console.log('== self time by module / package');
  summary.byModule.slice(0, top).forEach((r) => console.log(row(r)));
  console.log('\n== self time by function');
  summary.selfByFunction.slice(0, top).forEach((r) => console.log(row(r)));
  console.log('\n== inclusive time by function (time with the function on the stack)');
  summary.inclusiveByFunction.slice(0, top).forEach((r) => console.log(row(r)));
  if (match) {
    console.log(`\n== inclusive time of functions whose name or file contains "${match}"`);
    summary.inclusiveByFunction.filter(([k]) => k.includes(match)).slice(0, top).forEach((r) => console.log(row(r)));
  }
}

function main(argv: string[]): number {
  const files: string[] = [];
  let results: string | undefined;
  let phase: string | undefined;
  let top = 40;
  let match: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--results') results = argv[++i];
    else if (arg === '--phase') phase = argv[++i];
    else if (arg === '--top') top = Number(argv[++i]);
    else if (arg === '--match') match = argv[++i];
    else files.push(arg);
  }
  if (files.length !== 1) {
    console.error('Usage: node dist/bench/profile-summary.js <file.cpuprofile> [--results <bench json> --phase "<name>"] [--top n]');
    return 2;
  }
  let window: { start: number; end: number } | undefined;
  if (phase) {
    if (!results) throw new Error('--phase needs --results');
    const data = JSON.parse(readFileSync(results, 'utf8')) as { load: { name: string; usage: { monotonicUs: { start: number; end: number } } }[]; latency: { name: string; usage: { monotonicUs: { start: number; end: number } } }[] };
    const found = [...data.load, ...data.latency].find((p) => p.name === phase);
    if (!found) throw new Error(`No phase "${phase}" in ${results}`);
    window = found.usage.monotonicUs;
  }
  const profile = JSON.parse(readFileSync(files[0] as string, 'utf8')) as CpuProfile;
  print(summarizeProfile(profile, window), top, match);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
