import { isNode, LineCounter, parseDocument } from 'yaml';

/**
 * The line (1-based) a config key path (`sampler.args.n_labels`) sits on in the YAML text — the key's own line, or
 * its nearest written parent's when the key is absent (a missing required key is reported where its block is).
 * `line N` paths (YAML syntax errors) are already lines; the whole config is line 1.
 */
export function lineOfPath(yaml: string, keyPath: string): number {
  const direct = /^line (\d+)$/.exec(keyPath);
  if (direct) return Number(direct[1]);
  const lines = new LineCounter();
  const doc = parseDocument(yaml, { lineCounter: lines });
  const parts = keyPath === '(root)' ? [] : keyPath.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  for (let n = parts.length; n > 0; n--) {
    const parent = n === 1 ? doc.contents : doc.getIn(parts.slice(0, n - 1), true);
    // The key's own node (its `key:`), so the line is where the user reads the name.
    const pair =
      isNode(parent) && 'items' in parent ? (parent.items as { key?: unknown }[]).find((it) => keyOf(it.key) === parts[n - 1]) : undefined;
    const key = pair?.key as { range?: [number, number, number] } | undefined;
    if (key?.range) return lines.linePos(key.range[0]).line;
  }
  return 1;
}

function keyOf(k: unknown): unknown {
  return k && typeof k === 'object' && 'value' in k ? (k as { value: unknown }).value : k;
}
