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
 * so its runs score validation with the exact TypeScript distances.
 */
const FAST = new Set(['wasm', 'tensorflow']);

/** Products on the active tfjs backend, or null where that would not be faster or the gallery does not fit. */
export const tfjsProducts: ProductsFactory = (gallery: Embeddings): ApproxProducts | null => {
  if (!FAST.has(tf.getBackend()) || gallery.count * gallery.dim * 4 > MAX_GALLERY_BYTES) return null;
  const galleryT = tf.tidy(() => tf.transpose(tf.tensor2d(gallery.data, [gallery.count, gallery.dim]))); // [dim, n]: GEMM's fast layout
  let last: tf.Tensor | null = null;
  return {
    block(queries, start, end) {
      last?.dispose();
      const dim = queries.dim;
      last = tf.tidy(() => tf.matMul(tf.tensor2d(queries.data.subarray(start * dim, end * dim), [end - start, dim]), galleryT));
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

/** For a process that has no tfjs backend yet (the CLI): starts the best one and returns its products. */
export async function startProducts(): Promise<ProductsFactory> {
  // Loaded here, not at the top: importing the wasm backend registers it as tfjs's preferred backend, which would
  // change what a process that only validates (and never called useBackend) gets by default.
  const { useBackend } = await import('./backends');
  await useBackend('auto');
  return tfjsProducts;
}
