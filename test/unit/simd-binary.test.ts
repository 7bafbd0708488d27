// The committed SIMD kernels (main/engine/wasm/simd-binary.ts) are what their AssemblyScript source compiles to:
// an edit to the source without a rebuild fails here, not in a user's training run.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { SIMD_KERNELS } from '../../main/engine/wasm/simd-binary';

const ROOT = path.resolve(import.meta.dirname, '../..');

it('simd-binary.ts is the build of assembly/kernels.ts', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['scripts/build-simd-kernels.mjs', '--check'], {
    cwd: ROOT,
    timeout: 60_000,
  });
  expect(stdout).toContain('up to date');
}, 60_000);

it('both builds import a memory and export the kernels, and hold no data that could land in the heap', () => {
  for (const [kind, base64] of Object.entries(SIMD_KERNELS)) {
    const module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
    expect(WebAssembly.Module.imports(module), kind).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    const names = WebAssembly.Module.exports(module).map((e) => e.name);
    // Every kernel simd.ts declares, and the re-exported memory.
    expect(names.sort()).toEqual(
      [
        'adamStep',
        'batchNormInference',
        'bnBackward',
        'bnForward',
        'columnSums',
        'convFilterGrad',
        'depthwiseFilterGrad',
        'depthwiseInputGrad',
        'maxPoolTiledBackward',
        'memory',
        'relu6Backward',
        'reluBackward',
        'transposedProduct',
      ].sort(),
    );
    // A data section (id 11) would be copied into tfjs's heap at instantiation, over its tensors.
    expect(hasSection(Buffer.from(base64, 'base64'), 11), kind).toBe(false);
  }
});

/** Whether a wasm binary has a section of this id (sections follow the 8-byte header, each id + LEB128 size). */
function hasSection(bytes: Buffer, id: number): boolean {
  let at = 8;
  while (at < bytes.length) {
    const section = bytes[at++]!;
    let size = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[at++]!;
      size |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    if (section === id) return true;
    at += size;
  }
  return false;
}
