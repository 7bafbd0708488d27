/**
 * A 2-D UMAP layout of embeddings for the explorer's map (umap-js, the maintained JavaScript port of UMAP). UMAP
 * keeps neighbourhoods where PCA keeps only the two widest directions, so classes that PCA piles on top of one
 * another come apart. Its cost grows faster than linearly and it runs single-threaded, so it lays out a seeded
 * sample of at most UMAP_SAMPLE items (the map says how many of how many) in a worker process, never in the
 * process that serves the UI.
 */
import { UMAP } from 'umap-js';
import type { Embeddings } from './knn';
import { mulberry32 } from '../random';

/**
 * The UMAP layout of every row (n × 2, row-major). Few points get a smaller neighbourhood (UMAP needs more points
 * than neighbours); one point or none get the origin.
 */
export function umap2(e: Embeddings, seed = 0, onEpoch?: (epoch: number, of: number) => void): Float32Array {
  const xy = new Float32Array(e.count * 2);
  if (e.count < 3) return xy;
  const vectors = Array.from({ length: e.count }, (_, i) => Array.from(e.data.subarray(i * e.dim, (i + 1) * e.dim)));
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(15, e.count - 1), minDist: 0.1, random: mulberry32(seed) });
  const epochs = umap.initializeFit(vectors);
  for (let epoch = 0; epoch < epochs; epoch++) {
    umap.step();
    if (onEpoch && (epoch % 20 === 0 || epoch === epochs - 1)) onEpoch(epoch + 1, epochs);
  }
  umap.getEmbedding().forEach(([x, y], i) => {
    xy[2 * i] = x!;
    xy[2 * i + 1] = y!;
  });
  return xy;
}
