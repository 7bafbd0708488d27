// Packs the GPU check into .gpu-check/ (git-ignored): the probe and the training bench bundled with esbuild, the
// files they load by path (tfjs's wasm binaries, Dawn's dawn.node for linux-x64) and this machine's node, xz'd.
// A lent GPU machine reaches no registry, and the device tool carries 64 MiB at most; this comes to ~45 MB.
// usage: node scripts/gpu-check/pack.mjs   then, on the GPU machine: bash scripts/gpu-check/run.sh
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '../..');
const out = path.join(root, '.gpu-check');
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm', // the bench awaits at top level
  logLevel: 'warning',
  // Native or optional: loaded at run time from .gpu-check/node_modules, or reported missing by the probe.
  // tfjs stays external as in the app's worker bundle: the wasm backend finds its binaries and pthread scripts by path.
  external: ['webgpu', '@tensorflow/*', 'sqlite3', 'usearch', 'onnxruntime-node'],
  // The benches decode no image; sharp's libvips (19 MB) would not fit the 64 MiB the device tool carries.
  alias: { sharp: path.join(root, 'scripts/gpu-check/no-sharp.mjs') },
  // CommonJS dependencies inside an ES module still call require.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
};
await build({ ...common, entryPoints: [path.join(root, 'scripts/gpu-check/probe.ts')], outfile: path.join(out, 'probe.mjs') });
await build({ ...common, entryPoints: [path.join(root, 'bench/training-run.ts')], outfile: path.join(out, 'bench.mjs') });

const nm = (p) => path.join(root, 'node_modules', p);
const to = (p) => path.join(out, 'node_modules', p);
// Each tfjs package: its package.json and its Node bundle (`main`); the wasm backend also its binaries and the
// wasm-out scripts its pthreads start from (engine/wasm/threads.ts).
const tfjs = ['tfjs', 'tfjs-core', 'tfjs-layers', 'tfjs-converter', 'tfjs-data', 'tfjs-backend-cpu', 'tfjs-backend-webgl'];
for (const name of [...tfjs, 'tfjs-backend-wasm', 'tfjs-backend-webgpu']) {
  const pkg = `@tensorflow/${name}`;
  const { main } = JSON.parse(readFileSync(nm(`${pkg}/package.json`), 'utf8'));
  mkdirSync(path.dirname(to(`${pkg}/${main}`)), { recursive: true });
  cpSync(nm(`${pkg}/package.json`), to(`${pkg}/package.json`));
  cpSync(nm(`${pkg}/${main}`), to(`${pkg}/${main}`));
}
for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'])
  cpSync(nm(`@tensorflow/tfjs-backend-wasm/dist/${f}`), to(`@tensorflow/tfjs-backend-wasm/dist/${f}`));
cpSync(nm('@tensorflow/tfjs-backend-wasm/wasm-out'), to('@tensorflow/tfjs-backend-wasm/wasm-out'), {
  recursive: true,
  filter: (f) => !f.endsWith('.wasm'),
});
// Everything else those packages require at run time, whole: the GPU machine has no node_modules above this folder.
// tfjs lists browser polyfills (14 MB) that its Node bundles never require.
const unused = /^(@types\/|core-js$|regenerator-runtime$)/;
const copied = new Set([...tfjs, 'tfjs-backend-wasm', 'tfjs-backend-webgpu'].map((n) => `@tensorflow/${n}`));
const queue = [...copied, 'webgpu'];
while (queue.length > 0) {
  const pj = JSON.parse(readFileSync(nm(`${queue.pop()}/package.json`), 'utf8'));
  for (const dep of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies })) {
    if (copied.has(dep) || unused.test(dep) || !existsSync(nm(dep))) continue;
    copied.add(dep);
    queue.push(dep);
    if (dep !== 'webgpu') cpSync(nm(dep), to(dep), { recursive: true });
  }
}
// Dawn: the package's loader and the linux-x64 build only.
mkdirSync(to('webgpu/dist'), { recursive: true });
for (const f of ['package.json', 'index.js']) cpSync(nm(`webgpu/${f}`), to(`webgpu/${f}`));
cpSync(nm('webgpu/dist/linux-x64'), to('webgpu/dist/linux-x64'), { recursive: true });
execFileSync('sh', ['-c', `xz -T0 -6 -c "${process.execPath}" > "${path.join(out, 'node.xz')}"`]);
writeFileSync(path.join(out, 'README'), 'Built by scripts/gpu-check/pack.mjs; run with scripts/gpu-check/run.sh.\n');
const size = execFileSync('du', ['-sm', out], { encoding: 'utf8' }).split('\t')[0];
console.log(`.gpu-check/: ${size} MB (node ${(statSync(path.join(out, 'node.xz')).size / 2 ** 20).toFixed(0)} MB xz'd)`);
