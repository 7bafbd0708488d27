// The layer rules are written once, as the table in docs/ARCHITECTURE.md; this test reads that table and the
// import graph of every source file, so a rule broken in code (or a table that no longer matches) fails npm test.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ImportEdge, importCircles, importsOf, runtimeClosure, sourceFiles } from '../helpers/import-graph';

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

function violations(edges: ImportEdge[]): string[] {
  const broken: string[] = [];
  for (const e of edges) {
    if (!e.target) continue;
    const from = layerOf(e.from)!;
    const to = layerOf(e.target);
    if (!to) broken.push(`${rel(e.from)}:${e.line} imports ${e.specifier}, which is in no layer`);
    else if (to !== from && !from.mayImport.has(to.name))
      broken.push(`${rel(e.from)}:${e.line} (${from.name}) imports ${rel(e.target)} (${to.name})`);
  }
  return broken;
}

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

  it('every import goes to the same layer or one it may import', () => {
    expect(violations(files.flatMap(importsOf))).toEqual([]);
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

  it('no file imports itself through others, type-only imports included', () => {
    expect(importCircles(files.flatMap(importsOf)).map((c) => c.map(rel).join(' → '))).toEqual([]);
  });

  it('finds a planted circle', () => {
    const edge = (from: string, to: string): ImportEdge => ({ from, specifier: to, target: to, typeOnly: true, lazy: false, line: 1 });
    expect(importCircles([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd')])).toEqual([['a', 'b', 'c']]);
    expect(importCircles([edge('a', 'b'), edge('b', 'c')])).toEqual([]);
  });

  it('renderer pages, components and composables reach the API only through stores', () => {
    const direct = files
      .filter((f) => /^renderer\/src\/(pages|components|composables)\//.test(rel(f)))
      .filter((f) => importsOf(f).some((e) => e.target !== null && rel(e.target).startsWith('renderer/src/api/')))
      .map(rel);
    expect(direct).toEqual([]);
  });

  it('reports planted upward imports: engine → services, shared → main, renderer → main', () => {
    const planted = (from: string, to: string): ImportEdge => ({
      from: path.join(ROOT, from),
      specifier: to,
      target: path.join(ROOT, to),
      typeOnly: false,
      lazy: false,
      line: 1,
    });
    const edges = [
      planted('main/engine/inference.ts', 'main/services/images.ts'),
      planted('shared/api.ts', 'main/paths.ts'),
      planted('renderer/src/main.ts', 'main/store/runs.ts'),
      planted('main/preload/bridge.ts', 'main/api/dispatch.ts'),
    ];
    expect(violations(edges)).toHaveLength(4);
    expect(violations([planted('main/services/explorer.ts', 'main/engine/worker-protocol.ts')])).toEqual([]);
  });
});
