import { describe, expect, it } from 'vitest';
import { CollapseDetector, embeddingSpread } from '../../main/engine/train/collapse';

describe('collapse detection', () => {
  it('warns when the loss sits at the margin with every triplet active', () => {
    const d = new CollapseDetector(0.2, 10);
    for (let i = 0; i < 9; i++) expect(d.observe(0.2001, 1, 0.5)).toBeNull();
    expect(d.observe(0.1999, 1, 0.5)).toMatch(/stuck at the margin/);
  });

  it('stays quiet while the loss moves or triplets go inactive', () => {
    const d = new CollapseDetector(0.2, 10);
    for (let i = 0; i < 20; i++) expect(d.observe(0.2 - i * 0.005, 0.6, 0.5)).toBeNull();
    // The loss at the margin alone is not collapse: with triplets going inactive it is training.
    const atMargin = new CollapseDetector(0.2, 10);
    for (let i = 0; i < 20; i++) expect(atMargin.observe(0.2, 0.9, 0.5)).toBeNull();
    // Nor is every triplet active with the loss away from the margin.
    const busy = new CollapseDetector(0.2, 10);
    for (let i = 0; i < 20; i++) expect(busy.observe(0.3, 1, 0.5)).toBeNull();
    // Only once the window is full: nine collapsed-looking steps say nothing yet (tested above), and it counts
    // steps that logged active_tri (a criterion without it never triggers the margin rule).
    const noActive = new CollapseDetector(0.2, 10);
    for (let i = 0; i < 20; i++) expect(noActive.observe(0.2, undefined, 0.5)).toBeNull();
    const soft = new CollapseDetector(null, 10);
    for (let i = 0; i < 20; i++) expect(soft.observe(0.69, 1, 0.5)).toBeNull();
  });

  it('warns when the embeddings have no spread left', () => {
    const same = new Float32Array(4 * 3).fill(0.5);
    expect(embeddingSpread(same, 4, 3)).toBe(0);
    expect(new CollapseDetector(null).observe(0.69, undefined, embeddingSpread(same, 4, 3))).toMatch(/collapsed/);
    expect(new CollapseDetector(null).observe(0.69, undefined, 2e-4)).toBeNull();
    expect(embeddingSpread(Float32Array.from([1, 0, -1, 0]), 2, 2)).toBeCloseTo(0.5, 6);
  });
});
