import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** One import of a source file: the specifier as written, what it resolves to (our file, or null for a package). */
export interface ImportEdge {
  from: string;
  specifier: string;
  target: string | null;
  /** `import type …`, or every named binding marked `type`: erased at compile time, loads nothing. */
  typeOnly: boolean;
  /** import() or require(): loaded when that code runs, not when the file loads. */
  lazy: boolean;
  line: number;
}

const IMPORT = /(?:^|\n)[ \t]*(import|export)[ \t]+(type[ \t]+)?([\s\S]*?)[ \t\n]*from[ \t]+['"]([^'"\n]+)['"]/g;
const SIDE_EFFECT = /(?:^|\n)[ \t]*import[ \t]+['"]([^'"\n]+)['"]/g;
const DYNAMIC = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;
const REQUIRE = /\brequire\(\s*['"]([^'"\n]+)['"]\s*\)/g;
const EXTENSIONS = ['', '.ts', '.vue', '.mjs', '.js', '/index.ts'];

export function sourceFiles(root: string, dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.(ts|vue|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(full);
    }
  };
  for (const d of dirs) if (existsSync(path.join(root, d))) walk(path.join(root, d));
  return out.sort();
}

function resolve(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), specifier);
  return EXTENSIONS.map((ext) => base + ext).find((f) => existsSync(f) && statSync(f).isFile()) ?? base;
}

/** Every import, re-export, side-effect import and literal dynamic import() of a file. */
export function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(file, 'utf8');
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  const edges: ImportEdge[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const bindings = m[3]!;
    const named = /^\{([\s\S]*)\}$/.exec(bindings.trim());
    const allTyped =
      named !== null &&
      named[1]!
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .every((s) => s.startsWith('type '));
    edges.push({
      from: file,
      specifier: m[4]!,
      target: resolve(file, m[4]!),
      typeOnly: Boolean(m[2]) || allTyped,
      lazy: false,
      line: lineOf(m.index! + 1),
    });
  }
  for (const [re, lazy] of [
    [SIDE_EFFECT, false],
    [DYNAMIC, true],
    [REQUIRE, true],
  ] as const) {
    for (const m of text.matchAll(re))
      edges.push({ from: file, specifier: m[1]!, target: resolve(file, m[1]!), typeOnly: false, lazy, line: lineOf(m.index! + 1) });
  }
  return edges;
}

/**
 * Files and packages loaded at run time from `entry` (type-only imports are not followed); `eager`: only what loads
 * with it, before any import() or require() runs.
 */
export function runtimeClosure(entry: string, eager = false): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const stack = [entry];
  while (stack.length) {
    const f = stack.pop()!;
    if (files.has(f) || !existsSync(f)) continue;
    files.add(f);
    for (const e of importsOf(f)) {
      if (e.typeOnly || (eager && e.lazy)) continue;
      if (e.target) stack.push(e.target);
      else if (!packages.has(e.specifier)) packages.set(e.specifier, f);
    }
  }
  return { files, packages };
}
