// Stands in for sharp in the GPU check's bundles (scripts/gpu-check/pack.mjs): the benches never decode an image.
export default function sharp() {
  throw new Error('sharp is not packed into the GPU check');
}
