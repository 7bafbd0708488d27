// Bundles the Electron entry points. The main bundle keeps native and heavy packages external (they load
// from node_modules at run time); the sandboxed preload must be a single CommonJS file.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };

await build({
  ...common,
  entryPoints: ['main/electron/main.ts'],
  outfile: 'dist/main/electron/main.cjs',
  external: ['electron', 'sqlite3', 'sharp', '@tensorflow/*', 'ws'],
  // import.meta.url is only read where __dirname is missing (ESM); define it so esbuild stays quiet.
  define: { 'import.meta.url': '__filename_url' },
  banner: { js: "const __filename_url = require('url').pathToFileURL(__filename).href;" },
});
await build({ ...common, entryPoints: ['main/preload/preload.ts'], outfile: 'dist/main/electron/preload.cjs', external: ['electron'] });
// The training worker, run by Electron's utilityProcess in the packaged app.
await build({
  ...common,
  entryPoints: ['main/engine/worker.ts'],
  outfile: 'dist/main/worker.cjs',
  external: ['electron', 'sqlite3', 'sharp', '@tensorflow/*'],
  define: { 'import.meta.url': '__filename_url' },
  banner: { js: "const __filename_url = require('url').pathToFileURL(__filename).href;" },
});
console.log('built dist/main/electron/{main,preload}.cjs and dist/main/worker.cjs');
