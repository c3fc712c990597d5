/** Pairwise linkage metrics from clusterings (every unordered pair of records counts once). */
export interface PairMetrics {
  readonly truePairs: number;
  readonly predictedPairs: number;
  readonly correctPairs: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

const pairs = (n: number) => (n * (n - 1)) / 2;

export function pairMetrics(predicted: ReadonlyMap<string, string>, truth: ReadonlyMap<string, string>): PairMetrics {
  const predictedSizes = new Map<string, number>();
  const trueSizes = new Map<string, number>();
  const both = new Map<string, number>();
  for (const [record, cluster] of predicted) {
    const entity = truth.get(record) ?? `?${record}`;
    predictedSizes.set(cluster, (predictedSizes.get(cluster) ?? 0) + 1);
    trueSizes.set(entity, (trueSizes.get(entity) ?? 0) + 1);
    const key = `${cluster}\u0000${entity}`;
    both.set(key, (both.get(key) ?? 0) + 1);
  }
  let predictedPairs = 0;
  let truePairs = 0;
  let correctPairs = 0;
  for (const n of predictedSizes.values()) predictedPairs += pairs(n);
  for (const n of trueSizes.values()) truePairs += pairs(n);
  for (const n of both.values()) correctPairs += pairs(n);
  const precision = predictedPairs === 0 ? 1 : correctPairs / predictedPairs;
  const recall = truePairs === 0 ? 1 : correctPairs / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truePairs, predictedPairs, correctPairs, precision, recall, f1 };
}

/** Union–find over record ids, to add reviewed links to the automatic clustering. */
export class Clusters {
  private readonly parent = new Map<string, string>();

  find(x: string): string {
    let root = x;
    while (this.parent.has(root) && this.parent.get(root) !== root) root = this.parent.get(root) as string;
    let node = x;
    while (node !== root) {
      const next = this.parent.get(node) as string;
      this.parent.set(node, root);
      node = next;
    }
    if (!this.parent.has(root)) this.parent.set(root, root);
    return root;
  }

  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }

  assignment(ids: Iterable<string>): Map<string, string> {
    const out = new Map<string, string>();
    for (const id of ids) out.set(id, this.find(id));
    return out;
  }
}
