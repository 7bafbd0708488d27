/** Groups items linked by pairs (union-find with path halving): the clusters of near duplicates. */
export class Clusters {
  private readonly parent: Int32Array;

  constructor(readonly size: number) {
    this.parent = Int32Array.from({ length: size }, (_, i) => i);
  }

  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]!]!;
      x = p[x]!;
    }
    return x;
  }

  link(a: number, b: number): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra !== rb) this.parent[ra] = rb;
  }

  /** Every group of `members` (items some pair linked), each in ascending order, groups by their first item. */
  groups(members: Iterable<number>): number[][] {
    const by = new Map<number, number[]>();
    for (const i of members) {
      const root = this.find(i);
      const g = by.get(root);
      if (g) g.push(i);
      else by.set(root, [i]);
    }
    return [...by.values()].map((g) => g.sort((a, b) => a - b)).sort((a, b) => a[0]! - b[0]!);
  }
}
