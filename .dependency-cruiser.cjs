// dependency-cruiser's rules for `npm run deps` (part of `npm test`). The layer rules are not written here: they are
// read from the table in docs/ARCHITECTURE.md, the one place they are stated (test/unit/layers.test.ts reads it too).
const { readFileSync } = require('node:fs');
const path = require('node:path');

/** The rows between `<!-- layers:begin -->` and `<!-- layers:end -->`: | **layer** | `paths` | `may import` |. */
function layers() {
  const doc = readFileSync(path.join(__dirname, 'docs/ARCHITECTURE.md'), 'utf8');
  const block = /<!-- layers:begin -->([\s\S]*?)<!-- layers:end -->/.exec(doc)[1];
  const cells = (s) => [...s.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  return block
    .split('\n')
    .filter((l) => l.startsWith('| **'))
    .map((l) => {
      const [, name, paths, may] = l.split('|').map((c) => c.trim());
      return { name: name.replace(/\*/g, ''), paths: cells(paths), mayImport: cells(may) };
    });
}

const literal = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A layer's paths as one regular expression: a folder (ending in /) matches below it, a file itself. */
const pattern = (paths) => `^(${paths.map((p) => (p.endsWith('/') ? literal(p) : `${literal(p)}$`)).join('|')})`;

const table = layers();
const layerRules = table.map((layer) => {
  const allowed = new Set([layer.name, ...layer.mayImport]);
  const others = table.filter((l) => !allowed.has(l.name));
  return {
    name: `layer-${layer.name}`,
    comment: `${layer.name} may import ${layer.mayImport.join(', ') || 'nothing of ours'} (docs/ARCHITECTURE.md)`,
    severity: 'error',
    from: { path: pattern(layer.paths) },
    to: { path: pattern(others.flatMap((l) => l.paths)) },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'No file imports itself through others (type-only imports count: a circle of types ties meanings together)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'electron-only-in-electron-layers',
      comment:
        "Only main/electron and main/preload load Electron's API; the CLI's `app` requires the package for its binary's path (a string), and starts it as a process",
      severity: 'error',
      from: { pathNot: '^main/(electron|preload)/|^main/cli/commands/app\\.ts$' },
      to: { path: '(^|/)node_modules/electron/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'electron-package-only-as-a-launcher',
      comment: 'app.ts may require("electron") (the binary path), never import it',
      severity: 'error',
      from: { path: '^main/cli/commands/app\\.ts$' },
      to: { path: '(^|/)node_modules/electron/', dependencyTypesNot: ['require'] },
    },
    {
      name: 'no-tfjs-in-web-mode',
      comment: 'serve (web mode) never loads TensorFlow.js: training and embedding run in worker processes',
      severity: 'error',
      from: { path: '^main/cli/commands/serve\\.ts$' },
      to: { path: '(^|/)node_modules/@tensorflow/', reachable: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^main/engine/wasm/assembly/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.vue', '.mjs', '.js', '.json'] },
  },
};
