/**
 * The retrieval metrics' distance products on TensorFlow.js's matrix multiply: wasm's XNNPACK GEMM on every core
 * (12 GFLOP/s per core measured, against 1–2.5 for the TypeScript loop) or native TensorFlow. It only picks
 * candidates — `batchedKnn` rescores them exactly — so results do not depend on which backend or how many threads.
 */
import * as tf from '@tensorflow/tfjs';
import type { ApproxProducts, Embeddings, ProductsFactory } from '../retrieval/knn';

/** The gallery lives on the backend's heap, transposed, while the search runs: the wasm heap is 32-bit. */
const MAX_GALLERY_BYTES = 512 << 20;

/**
 * Backends whose matMul beats the TypeScript loop (tfjs's pure-JS `cpu` backend does not) and can be read back
 * synchronously, as `batchedKnn`'s block loop reads: webgpu cannot in Node (its sync read needs an OffscreenCanvas),
 * so its products are made beforehand (`prefetchedProducts`).
 */
const FAST = new Set(['wasm', 'tensorflow']);

/** The gallery on the backend, transposed: [dim, n] is GEMM's fast layout. */
const transposedGallery = (gallery: Embeddings) => tf.tidy(() => tf.transpose(tf.tensor2d(gallery.data, [gallery.count, gallery.dim])));

/** Queries [start, end) · gallery, as a tensor [end − start, n]. */
function blockProduct(queries: Embeddings, start: number, end: number, galleryT: tf.Tensor): tf.Tensor {
  const dim = queries.dim;
  return tf.tidy(() => tf.matMul(tf.tensor2d(queries.data.subarray(start * dim, end * dim), [end - start, dim]), galleryT));
}

/** Products on the active tfjs backend, or null where that would not be faster or the gallery does not fit. */
export const tfjsProducts: ProductsFactory = (gallery: Embeddings): ApproxProducts | null => {
  if (!FAST.has(tf.getBackend()) || gallery.count * gallery.dim * 4 > MAX_GALLERY_BYTES) return null;
  const galleryT = transposedGallery(gallery);
  let last: tf.Tensor | null = null;
  return {
    block(queries, start, end) {
      last?.dispose();
      last = blockProduct(queries, start, end, galleryT);
      return heapView(last);
    },
    dispose: () => {
      last?.dispose();
      galleryT.dispose();
    },
  };
};

/**
 * The product where it lies: on wasm a view of the heap (copying 64 MB per block out cost a tenth of the search),
 * valid while the tensor lives and nothing new is allocated; elsewhere the backend's copy.
 */
function heapView(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as { typedArrayFromHeap?: (t: tf.Tensor) => Float32Array };
  return tf.getBackend() === 'wasm' && backend.typedArrayFromHeap ? backend.typedArrayFromHeap(t) : (t.dataSync() as Float32Array);
}

/** The most a GPU's products may take on the host before the search starts; larger sets take the exact loop. */
const MAX_PREFETCH_BYTES = 256 << 20;
/** Queries per GPU product block: one block's output stays far under the 128 MB many GPUs bind at most. */
const PREFETCH_ROWS = 1024;

/**
 * The products on a GPU backend (webgpu), which cannot be read back synchronously as `batchedKnn`'s block loop
 * reads: every query × gallery product is computed on the device and read back, block by block, before the search,
 * then handed out as the loop asks. Only for those two sides (checked by their sizes); null where they would not fit.
 */
export async function prefetchedProducts(queries: Embeddings, gallery: Embeddings): Promise<ProductsFactory | null> {
  if (queries.count * gallery.count * 4 > MAX_PREFETCH_BYTES || queries.count === 0 || gallery.count === 0) return null;
  const dim = queries.dim;
  const all = new Float32Array(queries.count * gallery.count);
  const galleryT = transposedGallery(gallery);
  try {
    for (let start = 0; start < queries.count; start += PREFETCH_ROWS) {
      const end = Math.min(queries.count, start + PREFETCH_ROWS);
      const block = blockProduct(queries, start, end, galleryT);
      all.set((await block.data()) as Float32Array, start * gallery.count);
      block.dispose();
    }
  } finally {
    galleryT.dispose();
  }
  return (g) =>
    g.count === gallery.count && g.dim === dim
      ? {
          block(q, start, end) {
            if (q.count !== queries.count) throw new Error('Prefetched products were asked for other queries than they were made for');
            return all.subarray(start * g.count, end * g.count);
          },
          dispose() {},
        }
      : null;
}

/** For a process that has no tfjs backend yet (the CLI): starts the best one and returns its products. */
export async function startProducts(): Promise<ProductsFactory> {
  // Loaded here, not at the top: importing the wasm backend registers it as tfjs's preferred backend, which would
  // change what a process that only validates (and never called useBackend) gets by default.
  const { useBackend } = await import('./backends');
  await useBackend('auto');
  return tfjsProducts;
}
