// The layer rules are written once, as the table in docs/ARCHITECTURE.md. dependency-cruiser checks every import
// against it (test/unit/dependency-rules.test.ts); this test checks what that tool cannot: that the table names its
// layers and every file belongs to one, what the CLI's entry loads before any command runs, and the renderer's API rule.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, runtimeClosure, sourceFiles } from '../helpers/import-graph';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Layer {
  name: string;
  paths: string[];
  mayImport: Set<string>;
}

/** The rows between `<!-- layers:begin -->` and `<!-- layers:end -->`: | layer | paths | may import |. */
function readLayerTable(): Layer[] {
  const doc = readFileSync(path.join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
  const block = /<!-- layers:begin -->([\s\S]*?)<!-- layers:end -->/.exec(doc)?.[1];
  if (!block) throw new Error('docs/ARCHITECTURE.md has no layers table');
  const cells = (s: string) => [...s.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  return block
    .split('\n')
    .filter((l) => l.startsWith('| **'))
    .map((l) => {
      const [, name, paths, may] = l.split('|').map((c) => c.trim());
      return { name: name!.replace(/\*/g, ''), paths: cells(paths!), mayImport: new Set(cells(may!)) };
    });
}

const layers = readLayerTable();
const rel = (f: string) => path.relative(ROOT, f).split(path.sep).join('/');
function layerOf(file: string): Layer | undefined {
  const r = rel(file);
  return layers.find((l) => l.paths.some((p) => (p.endsWith('/') ? r.startsWith(p) : r === p)));
}
const files = sourceFiles(ROOT, ['main', 'shared', 'renderer/src']);

describe('layer rules (docs/ARCHITECTURE.md)', () => {
  it('the table names every layer it refers to, and every source file belongs to one layer', () => {
    expect(layers.map((l) => l.name)).toEqual(expect.arrayContaining(['shared', 'engine', 'services', 'renderer']));
    for (const l of layers)
      for (const m of l.mayImport)
        expect(
          layers.map((x) => x.name),
          `${l.name} may import ${m}`,
        ).toContain(m);
    expect(files.filter((f) => !layerOf(f)).map(rel)).toEqual([]);
  });

  it('only the Electron layers import (or require) electron, and nothing in the app main process loads TensorFlow.js', () => {
    // `app` requires the electron package for its binary's path (what `npx electron` does) and starts it as a process:
    // the one use of the package outside the Electron layers, and never an import (which would load the API).
    const electronUsers = files
      .filter((f) => importsOf(f).some((e) => e.specifier === 'electron' && !(e.lazy && rel(f) === 'main/cli/commands/app.ts')))
      .map(rel);
    // The CLI's entry (bin/metric-studio.mjs → main/cli/index.ts) loads no command until one runs: `--help` loads
    // none, and `serve` loads its own module and what that reaches, never TensorFlow.js.
    const atStart = runtimeClosure(path.join(ROOT, 'main/cli/index.ts'), true);
    expect([...atStart.files].map(rel).filter((f) => f.startsWith('main/cli/commands/'))).toEqual([]);
    const serveLoads = [...atStart.packages, ...runtimeClosure(path.join(ROOT, 'main/cli/commands/serve.ts')).packages];
    expect(serveLoads.filter(([p]) => p.startsWith('@tensorflow/')).map(([p, by]) => `${p} (via ${rel(by)})`)).toEqual([]);
    expect(
      electronUsers.every((f) => f.startsWith('main/electron/') || f.startsWith('main/preload/')),
      electronUsers.join(', '),
    ).toBe(true);
    // What Electron main and web mode load at run time (type-only imports are erased): training, embedding and
    // backend probes must happen in worker processes.
    for (const entry of ['main/electron/main.ts', 'main/cli/commands/serve.ts']) {
      const { packages } = runtimeClosure(path.join(ROOT, entry));
      const tf = [...packages].filter(([p]) => p.startsWith('@tensorflow/')).map(([p, by]) => `${p} (via ${rel(by)})`);
      expect(tf, `${entry} loads TensorFlow.js`).toEqual([]);
    }
  });

  it('renderer pages, components and composables reach the API only through stores', () => {
    const direct = files
      .filter((f) => /^renderer\/src\/(pages|components|composables)\//.test(rel(f)))
      .filter((f) => importsOf(f).some((e) => e.target !== null && rel(e.target).startsWith('renderer/src/api/')))
      .map(rel);
    expect(direct).toEqual([]);
  });
});
