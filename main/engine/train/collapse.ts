/**
 * Watches for embedding collapse, the failure the reference runs showed: batch-hard + margin pins the loss at the
 * margin with every triplet active, and soft margin without normalisation can shrink the embedding to a point.
 */
export class CollapseDetector {
  private losses: number[] = [];
  private active: number[] = [];
  constructor(
    readonly margin: number | null,
    readonly window = 30,
  ) {}

  /** Returns a warning the first time the recent steps look collapsed, else null. */
  observe(loss: number, activeTri: number | undefined, spread: number): string | null {
    this.losses.push(loss);
    if (activeTri !== undefined) this.active.push(activeTri);
    if (this.losses.length > this.window) this.losses.shift();
    if (this.active.length > this.window) this.active.shift();
    if (spread < 1e-4)
      return `Embeddings have collapsed: their spread across the batch is ${spread.toExponential(1)} (all images map to nearly one point).`;
    if (this.margin !== null && this.losses.length === this.window && this.active.length === this.window) {
      const meanLoss = this.losses.reduce((a, b) => a + b, 0) / this.window;
      const meanActive = this.active.reduce((a, b) => a + b, 0) / this.window;
      if (Math.abs(meanLoss - this.margin) < 0.02 * this.margin && meanActive > 0.98) {
        return `Loss is stuck at the margin (${meanLoss.toFixed(4)} ≈ ${this.margin}) with ${(meanActive * 100).toFixed(0)}% active triplets: the embedding has likely collapsed. Try a softer miner (all_triplets), a lower learning rate or normalise_features.`;
      }
    }
    return null;
  }
}

/** Mean per-dimension standard deviation of a batch of embeddings (0 = every row identical). */
export function embeddingSpread(data: Float32Array | Int32Array | Uint8Array, rows: number, dim: number): number {
  let total = 0;
  for (let j = 0; j < dim; j++) {
    let s = 0,
      s2 = 0;
    for (let i = 0; i < rows; i++) {
      const v = data[i * dim + j]!;
      s += v;
      s2 += v * v;
    }
    const mean = s / rows;
    total += Math.sqrt(Math.max(0, s2 / rows - mean * mean));
  }
  return total / dim;
}
