import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../main/engine/backends';
import { tfjsProducts } from '../../main/engine/retrieval-products';
import { type ApproxProducts, batchedKnn, type Embeddings, type KnnInput, type ProductsFactory } from '../../main/retrieval/knn';
import { mulberry32 } from '../../main/random';

beforeAll(async () => {
  await useBackend('wasm', 1);
});

/** Embeddings on a coarse grid with repeated rows, so many distances tie exactly. */
function inputs(seed: number, nq: number, ng: number, dim: number): KnnInput {
  const r = mulberry32(seed);
  const grid = (n: number) => Float32Array.from({ length: n * dim }, () => Math.round((r() * 2 - 1) * 4) / 4);
  const gallery: Embeddings = { data: grid(ng), count: ng, dim };
  for (let j = 1; j < ng; j += 7) gallery.data.copyWithin(j * dim, (j - 1) * dim, j * dim); // duplicates
  const queries: Embeddings = { data: grid(nq), count: nq, dim };
  queries.data.set(gallery.data.subarray(0, dim)); // a query that is also in the gallery
  const labels = (n: number) => Int32Array.from({ length: n }, () => Math.floor(r() * 10));
  return {
    queries,
    gallery,
    nItems: 10,
    queryIds: Int32Array.from({ length: nq }, (_, i) => i * 3),
    galleryIds: Int32Array.from({ length: ng }, (_, j) => j),
    querySequence: Int32Array.from({ length: nq }, (_, i) => (i % 4 === 0 ? -1 : i % 5)),
    gallerySequence: Int32Array.from({ length: ng }, (_, j) => j % 9),
    queryLabels: labels(nq),
    galleryLabels: labels(ng),
  };
}

/** Exact products, each moved by `noise` × ‖q‖‖g‖ (alternating sign): a GEMM that sums in another order. */
function perturbed(noise: number): ProductsFactory {
  return (g: Embeddings): ApproxProducts => ({
    block(q, start, end) {
      const out = new Float32Array((end - start) * g.count);
      for (let i = start; i < end; i++) {
        for (let j = 0; j < g.count; j++) {
          let s = 0;
          let qq = 0;
          let gg = 0;
          for (let t = 0; t < q.dim; t++) {
            s += q.data[i * q.dim + t]! * g.data[j * g.dim + t]!;
            qq += q.data[i * q.dim + t]! ** 2;
            gg += g.data[j * g.dim + t]! ** 2;
          }
          out[(i - start) * g.count + j] = s + ((i + j) % 2 ? 1 : -1) * noise * Math.sqrt(qq * gg);
        }
      }
      return out;
    },
    dispose() {},
  });
}

describe('kNN with a fast GEMM choosing candidates', () => {
  it('gives bit-identical results with wasm GEMM products, also with ties, exclusions and sequences', () => {
    for (const [seed, nq, ng, dim] of [
      [1, 40, 400, 16],
      [2, 33, 257, 3],
      [3, 20, 1000, 128],
    ] as const) {
      const input = inputs(seed, nq, ng, dim);
      const plain = batchedKnn({ ...input, blockSize: 7 });
      const fast = batchedKnn({ ...input, blockSize: 7, products: tfjsProducts });
      expect(fast).toEqual(plain);
      expect(plain.retrieved.length).toBe(nq * 10);
    }
  });

  it('stays identical when every product is off by a summation-order error, and differs when the products are wrong', () => {
    const input = inputs(4, 30, 300, 32);
    const plain = batchedKnn(input);
    expect(batchedKnn({ ...input, products: perturbed(1e-7) })).toEqual(plain);
    // Far beyond float32 rounding: candidates are then chosen wrongly, which proves they come from the products.
    expect(batchedKnn({ ...input, products: perturbed(0.2) }).retrieved).not.toEqual(plain.retrieved);
  });

  it('scores rows with NaN or infinite embeddings exactly, as without products', () => {
    const input = inputs(5, 12, 200, 8);
    input.queries.data[3 * 8 + 2] = Number.NaN;
    input.queries.data[5 * 8] = Number.POSITIVE_INFINITY;
    expect(batchedKnn({ ...input, products: perturbed(1e-7) })).toEqual(batchedKnn(input));
  });

  it('uses no products where k is a large part of the gallery, and frees the gallery it uploaded', () => {
    const input = inputs(6, 10, 40, 8);
    let made = 0;
    const counting: ProductsFactory = (g) => {
      made++;
      return tfjsProducts(g);
    };
    const before = tf.memory().numTensors;
    batchedKnn({ ...input, nItems: 10, products: counting }); // 10 × 8 > 40
    expect(made).toBe(0);
    batchedKnn({ ...input, nItems: 5, products: counting });
    expect(made).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });
});
