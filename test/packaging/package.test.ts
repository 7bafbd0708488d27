// The desktop app as electron-builder packs it, checked from the package itself: built around a stand-in Electron
// (Electron's zip cannot be downloaded here; scripts/package/stand-in-electron.mjs), its app.asar read and
// extracted, and everything the app loads at run time loaded from the extracted tree under plain Node.
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { extractAll, listPackage, statFile } from '@electron/asar';
import { getCurrentFuseWire } from '@electron/fuses';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfig } from '../../shared/schemas/config';
import type { TrainEvent } from '../../shared/schemas/events';
import { appRoot } from '../../main/paths';
import { smallConfig } from '../helpers/training';
import { tempDir } from '../helpers/tmp';

const require = createRequire(import.meta.url);
const { fuseConfig } = require('../../scripts/package/fuses.cjs') as { fuseConfig: (platform: string) => Record<string, unknown> };
const pkg = JSON.parse(readFileSync(path.join(appRoot(), 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

let dir: string;
let cleanup: () => void;
/** electron-builder's unpacked app (linux-unpacked here), its archive, and the archive extracted beside its unpacked files. */
let appOut: string;
let archive: string;
let app: string;
let files: string[];

beforeAll(() => {
  ({ dir, cleanup } = tempDir('ms-package-'));
  if (!existsSync(path.join(appRoot(), 'dist', 'main', 'worker.cjs'))) throw new Error('Build first: npm run build');
  const built = spawnSync(process.execPath, ['scripts/package/dist.mjs', '--stand-in', '--out', path.join(dir, 'release')], {
    cwd: appRoot(),
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`electron-builder failed:\n${built.stdout}\n${built.stderr}`);
  const unpacked = readdirSync(path.join(dir, 'release')).find((d) => d.endsWith('-unpacked'));
  appOut = path.join(dir, 'release', unpacked!);
  archive = path.join(appOut, 'resources', 'app.asar');
  files = listPackage(archive, { isPack: false }).map((f) =>
    f
      .replace(/^[\\/]/, '')
      .split(path.sep)
      .join('/'),
  );
  app = path.join(dir, 'app');
  extractAll(archive, app);
}, 300_000);
afterAll(() => cleanup?.());

const sizeOf = (p: string): number =>
  statSync(p).isDirectory() ? readdirSync(p).reduce((s, f) => s + sizeOf(path.join(p, f)), 0) : statSync(p).size;

/** A package's name from its folder (…/node_modules/@scope/name or …/node_modules/name). */
const packageName = (folder: string) => /(?:@[^/]+\/)?[^/]+$/.exec(folder.split(path.sep).join('/'))![0];

/** Where Node finds `name` from `from`: the nearest node_modules/<name> going up (package.json `exports` aside). */
function findPackage(name: string, from: string, root: string): string | null {
  for (let d = from; d.startsWith(root); d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (d === root) break;
  }
  return null;
}

/** The packages Node would load: dependencies and optional dependencies followed through node_modules from root. */
function productionClosure(root: string): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string, from: string) => {
    const found = findPackage(name, from, root);
    if (!found || seen.has(found)) return; // an optional dependency that did not install
    seen.add(found);
    const m = JSON.parse(readFileSync(path.join(found, 'package.json'), 'utf8')) as {
      dependencies?: object;
      optionalDependencies?: object;
    };
    for (const dep of Object.keys({ ...m.dependencies, ...m.optionalDependencies })) visit(dep, found);
  };
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(name, root);
  return new Set([...seen].map(packageName));
}

describe('the packaged desktop app', () => {
  it('keeps native code and wasm binaries out of the archive, as real files beside it', () => {
    const binaries = files.filter((f) => /\.(node|wasm|dylib|dll|so(\.\d+)*)$/.test(f));
    expect(binaries).toContain('node_modules/sqlite3/build/Release/node_sqlite3.node');
    expect(binaries.some((f) => /^node_modules\/@img\/sharp-[^/]+\/lib\/.*\.node$/.test(f))).toBe(true);
    expect(binaries).toContain('node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
    // Dawn: this platform's build only (the package carries five, ~130 MB).
    const dawn = binaries.filter((f) => f.startsWith('node_modules/webgpu/dist/'));
    expect(dawn).toEqual([`node_modules/webgpu/dist/${process.platform}-${process.arch}/dawn.node`]);
    const inside = binaries.filter((f) => !(statFile(archive, f) as { unpacked?: boolean }).unpacked);
    expect(inside).toEqual([]);
    for (const f of binaries) expect(existsSync(path.join(`${archive}.unpacked`, f)), f).toBe(true);
  });

  it('ships the app and its production dependencies only, and says what they weigh', () => {
    expect(new Set(files.filter((f) => !f.includes('/')))).toEqual(
      new Set(['package.json', 'dist', 'main', 'samples', 'recipes', 'node_modules']),
    );
    // Source never ships: main/ carries only data files read at run time (the zoo catalogue).
    expect(files.filter((f) => f.startsWith('main/') && statSync(path.join(app, f)).isFile())).toEqual(['main/zoo/catalog.json']);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    // Package names, not paths: electron-builder nests packages where npm hoisted them.
    const shipped = new Set(
      files.map((f) => /^node_modules\/(?:.*\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\/package\.json$/.exec(f)?.[1]).filter(Boolean),
    );
    const needed = productionClosure(appRoot());
    expect(needed.has('sqlite3') && needed.has('@tensorflow/tfjs-core')).toBe(true);
    const extra = [...shipped].filter((p) => !needed.has(p!));
    expect(extra).toEqual([]);
    for (const dev of Object.keys(pkg.devDependencies)) expect(shipped.has(dev), `${dev} is a dev dependency`).toBe(false);
    // What ships, heaviest first (archive and unpacked files together).
    const groups = new Map<string, number>();
    for (const f of files) {
      const full = path.join(app, f);
      if (!statSync(full).isFile()) continue;
      const key = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[0] ?? f.split('/')[0]!;
      groups.set(key, (groups.get(key) ?? 0) + statSync(full).size);
    }
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    const rows = [...groups].sort((a, b) => b[1] - a[1]);
    console.log(
      [
        `app.asar ${mb(statSync(archive).size)}, app.asar.unpacked ${mb(sizeOf(`${archive}.unpacked`))}, ${files.length} entries:`,
        ...rows.slice(0, 25).map(([k, v]) => `  ${mb(v).padStart(9)}  ${k}`),
        `  (${rows.length - 25} more)`,
      ].join('\n'),
    );
  });

  it('every module the bundles require is in the package (optional dependencies may be absent)', () => {
    const optional = new Set(Object.keys(pkg.optionalDependencies));
    for (const bundle of ['dist/main/electron/main.cjs', 'dist/main/electron/preload.cjs', 'dist/main/worker.cjs']) {
      const code = readFileSync(path.join(app, bundle), 'utf8');
      const specs = new Set([...code.matchAll(/\brequire\("([^"./][^"]*)"\)/g)].map((m) => m[1]!));
      const from = createRequire(path.join(app, bundle));
      const missing = [...specs].filter((s) => {
        const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!;
        // node: names are Node's own (node:sqlite exists in Electron's Node, not in this one).
        if (s === 'electron' || s.startsWith('node:') || builtinModules.includes(s) || optional.has(name)) return false;
        try {
          from.resolve(s);
          return false;
        } catch {
          return true;
        }
      });
      expect(missing, bundle).toEqual([]);
    }
  });

  it('sqlite3 opens a store and sharp decodes a shipped image, loaded from the package', () => {
    const script = `
      const sqlite3 = require('sqlite3');
      const sharp = require('sharp');
      const db = new sqlite3.Database(':memory:');
      db.get('select sqlite_version() as v', async (err, row) => {
        if (err) throw err;
        const img = await sharp(process.argv[1]).raw().toBuffer({ resolveWithObject: true });
        console.log(JSON.stringify({ sqlite: row.v, sqlitePath: require.resolve('sqlite3'), sharpPath: require.resolve('sharp'), info: img.info }));
      });`;
    const csv = readFileSync(path.join(app, 'samples/fashion-mnist-mini/df.csv'), 'utf8').trim().split('\n');
    const image = path.join(app, 'samples/fashion-mnist-mini', csv[1]!.split(',')[1]!);
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script, image], { cwd: app, encoding: 'utf8' })) as {
      sqlite: string;
      sqlitePath: string;
      sharpPath: string;
      info: { width: number; height: number };
    };
    expect(out.sqlite).toMatch(/^3\.\d+/);
    expect(out.sqlitePath.startsWith(app)).toBe(true);
    expect(out.sharpPath.startsWith(app)).toBe(true);
    expect(out.info).toMatchObject({ width: 28, height: 28 });
  });

  it('the worker bundle trains on the shipped sample from the package, under plain Node, on wasm', async () => {
    const csv = path.join(app, 'samples/fashion-mnist-mini/df.csv');
    // Two threads: a packaged app uses every core, and each wasm pthread starts from a script in the package.
    const cfg = TrainConfig.parse(
      smallConfig(csv, { dataset_root: path.dirname(csv), max_epochs: 1, valid_period: 1, threads: 2, backend: 'auto' }),
    );
    // No node_modules of the repository on the way: the bundle resolves from the extracted tree only.
    const child = fork(path.join(app, 'dist/main/worker.cjs'), [], {
      cwd: app,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_PATH: '' },
    });
    const events: TrainEvent[] = [];
    const finished = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    child.on('message', (m) => events.push(m as TrainEvent));
    child.send({
      type: 'start',
      runId: 1,
      configYaml: YAML.stringify(cfg),
      baseDir: dir,
      outDir: path.join(dir, 'run'),
      resume: false,
      dataDir: dir,
    });
    await finished;
    const statuses = events.filter((e) => e.type === 'status').map((e) => (e as { status: string }).status);
    expect(statuses).toEqual(['running', 'finished']);
    expect(events.find((e) => e.type === 'backend')).toMatchObject({ name: 'wasm', threads: 2 });
    // auto probed Dawn from the unpacked package too, and passed over its software adapter, saying so.
    const logs = events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    expect(
      logs.some((m) => /webgpu/.test(m)),
      logs.join('\n'),
    ).toBe(true);
    const losses = events
      .flatMap((e) => (e.type === 'metrics' ? e.points : []))
      .flatMap((p) => Object.entries(p.values).filter(([k]) => k.startsWith('loss')));
    expect(losses.length).toBeGreaterThan(0);
    expect(losses.every(([, v]) => Number.isFinite(v))).toBe(true);
    expect(existsSync(path.join(dir, 'run', 'checkpoints', 'last'))).toBe(true);
  }, 120_000);

  it('the renderer with its assets, the recipes, the sample and the zoo catalogue are all there', () => {
    const html = readFileSync(path.join(app, 'dist/renderer/index.html'), 'utf8');
    const assets = [...html.matchAll(/(?:src|href)="\.?\/?([^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const a of assets) expect(existsSync(path.join(app, 'dist/renderer', a)), a).toBe(true);
    expect(readdirSync(path.join(app, 'recipes')).sort()).toEqual(readdirSync(path.join(appRoot(), 'recipes')).sort());
    const rows = readFileSync(path.join(app, 'samples/fashion-mnist-mini/df.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows.length).toBe(600);
    for (const r of rows) expect(existsSync(path.join(app, 'samples/fashion-mnist-mini', r.split(',')[1]!))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(app, 'main/zoo/catalog.json'), 'utf8'))).toBeTruthy();
  });

  it('Electron fuses are flipped in the packaged binary as scripts/package/fuses.cjs says', async () => {
    const exe = path.join(appOut, 'metric-studio');
    const wire = (await getCurrentFuseWire(exe)) as unknown as Record<string, number>;
    const want = fuseConfig(process.platform);
    for (const [fuse, on] of Object.entries(want)) {
      if (fuse === 'version') continue;
      expect(wire[fuse], `fuse ${fuse}`).toBe(on ? 49 : 48);
    }
    // RunAsNode off and OnlyLoadAppFromAsar on, whatever the platform.
    expect(wire[0]).toBe(48);
    expect(wire[5]).toBe(49);
  });
});
