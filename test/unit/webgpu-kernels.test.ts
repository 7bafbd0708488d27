// The gradient checks of wasm-kernels.test.ts, on TensorFlow.js's WebGPU backend through Dawn. Here it runs on
// Mesa's lavapipe (a CPU Vulkan driver: .ci/run installs it from Debian's bookworm-backports), forced — `auto`
// never picks a software adapter — which checks the kernels, not their speed.
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../main/engine/backends';
import { defineGradientChecks, defineTrainingGradientChecks } from '../helpers/gradient-checks';

beforeAll(async () => {
  await useBackend('webgpu');
}, 60_000);

defineGradientChecks('webgpu', { maxPoolTies: 'last' });
defineTrainingGradientChecks('webgpu');

describe("the metrics' distance products on webgpu", () => {
  it('made on the GPU before the search, they give exactly the exact loop’s metrics, and are used', async () => {
    const { computeMetrics, flattenMetrics, retrievalSides } = await import('../../main/metrics/embedding-metrics');
    const { prefetchedProducts } = await import('../../main/engine/retrieval-products');
    const { mulberry32 } = await import('../../main/random');
    const r = mulberry32(3);
    const n = 400;
    const dim = 32;
    const set = {
      embeddings: { data: Float32Array.from({ length: n * dim }, () => r() * 2 - 1), count: n, dim },
      labels: Int32Array.from({ length: n }, (_, i) => i % 40),
      isQuery: Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)),
      isGallery: Uint8Array.from({ length: n }, () => 1),
    };
    const args = { cmc: [1, 5], precision: [5], map: [10], ndcg: [], fmr: [], pcf: [] };
    const { queries, gallery } = retrievalSides(set);
    const made = await prefetchedProducts(queries, gallery);
    let blocks = 0;
    const counting: typeof made = (g) => {
      const p = made!(g);
      return (
        p && {
          block: (...a) => {
            blocks++;
            return p.block(...a);
          },
          dispose: p.dispose,
        }
      );
    };
    const withGpu = flattenMetrics(computeMetrics(set, args, counting!).tree);
    const exact = flattenMetrics(computeMetrics(set, args).tree);
    expect(blocks).toBeGreaterThan(0);
    expect(withGpu).toEqual(exact);
  });
});
