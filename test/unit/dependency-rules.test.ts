// dependency-cruiser, as `npm run deps` runs it: the real tree breaks none of .dependency-cruiser.cjs's rules (the
// layer table of docs/ARCHITECTURE.md, no circle, Electron only in its layers, no TensorFlow.js in web mode), and a
// copy of the tree with each kind of breach planted in it fails with that rule's name.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp';

const ROOT = path.resolve(import.meta.dirname, '../..');
const tmp = tempDir('ms-deps-');
afterAll(() => tmp.cleanup());

/** The rules each violation broke, from dependency-cruiser's JSON report of the tree under `root`. */
function broken(root: string): string[] {
  let out: string;
  try {
    out = execFileSync(
      path.join(ROOT, 'node_modules/.bin/depcruise'),
      ['--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'main', 'shared', 'renderer/src'],
      {
        cwd: root,
        encoding: 'utf8',
        maxBuffer: 256 << 20,
      },
    );
  } catch (e) {
    // It exits non-zero when it finds violations, with the report on stdout.
    out = (e as { stdout: string }).stdout;
  }
  const report = JSON.parse(out) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
  return report.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

describe('dependency rules (dependency-cruiser)', () => {
  it('the tree breaks none', () => {
    expect(broken(ROOT)).toEqual([]);
  }, 60_000);

  it('a TF.js import in web mode, an upward import, a circle and Electron outside its layers each fail', () => {
    const copy = tmp.dir;
    for (const p of ['main', 'shared', 'renderer/src', 'docs', 'tsconfig.json', '.dependency-cruiser.cjs', 'package.json'])
      cpSync(path.join(ROOT, p), path.join(copy, p), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
    appendFileSync(
      path.join(copy, 'main/cli/commands/serve.ts'),
      "\nimport { probeBackends } from '../../engine/backends';\nvoid probeBackends;\n",
    );
    appendFileSync(path.join(copy, 'main/engine/inference.ts'), "\nimport '../services/images';\n");
    writeFileSync(path.join(copy, 'main/dataset/circle-a.ts'), "import { b } from './circle-b';\nexport const a = () => b;\n");
    writeFileSync(path.join(copy, 'main/dataset/circle-b.ts'), "import { a } from './circle-a';\nexport const b = () => a;\n");
    appendFileSync(path.join(copy, 'main/services/images.ts'), "\nexport const shell = () => require('electron');\n");
    const rules = new Set(broken(copy).map((v) => v.split(':')[0]));
    expect([...rules].sort()).toEqual(['electron-only-in-electron-layers', 'layer-engine', 'no-circular', 'no-tfjs-in-web-mode']);
  }, 60_000);
});
