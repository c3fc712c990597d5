import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The static import graph of compiled modules. tsc drops type-only imports from its output, so the graph
 * of the JavaScript is exactly the graph of runtime imports: a cycle in it can throw "Cannot access … before
 * initialization" depending on which module is imported first. Dynamic `import()` is lazy and not an edge.
 */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

// tsc prints each import and re-export statement at the start of a line.
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm;

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []);
}

/** Modules under `root` (paths relative to it) and the modules under `root` each imports statically. */
export function importGraph(root: string): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const file of jsFiles(root)) {
    const source = readFileSync(file, 'utf8');
    const deps = [...source.matchAll(STATIC_IMPORT)].map((m) => relative(root, resolve(dirname(file), m[1] as string)));
    graph.set(relative(root, file), deps);
  }
  return graph;
}

/** The strongly connected components of more than one module, or of one importing itself (Tarjan). */
export function importCycles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}
