import JSON5 from 'json5';

/**
 * nsfwjs ships its models as browserify UMD modules (`…a.exports={modelTopology:…}…` for the model JSON,
 * `…h.exports="<base64>"…` for weight shards). They are read as data — never run: the value after the first
 * `exports=` is cut out by bracket matching, minified booleans (`!0`, `!1`) are restored, and JSON5 parses it.
 */
export class UmdError extends Error {}

function valueStart(src: string, file: string): number {
  // The wrapper's own `module.exports=e()` comes first; the data is the first export of a literal.
  const m = /\bexports\s*=\s*(?=[{["'])/.exec(src);
  if (!m) throw new UmdError(`${file}: no "exports=" of a literal in this module`);
  return m.index + m[0].length;
}

/** The extent of the literal starting at `i`: a string, or a bracketed object/array (strings inside skipped). */
function literalEnd(src: string, i: number, file: string): number {
  const open = src[i];
  if (open === '"' || open === "'") {
    for (let j = i + 1; j < src.length; j++) {
      if (src[j] === '\\') j++;
      else if (src[j] === open) return j + 1;
    }
    throw new UmdError(`${file}: unterminated string`);
  }
  if (open !== '{' && open !== '[') throw new UmdError(`${file}: the exported value is not an object, array or string`);
  let depth = 0;
  for (let j = i; j < src.length; j++) {
    const c = src[j];
    if (c === '"' || c === "'") j = literalEnd(src, j, file) - 1;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (--depth === 0) return j + 1;
    }
  }
  throw new UmdError(`${file}: unbalanced brackets`);
}

/** `!0` → true and `!1` → false outside strings. */
function restoreBooleans(lit: string): string {
  let out = '';
  for (let j = 0; j < lit.length; j++) {
    const c = lit[j]!;
    if (c === '"' || c === "'") {
      let k = j + 1;
      while (k < lit.length && lit[k] !== c) k += lit[k] === '\\' ? 2 : 1;
      out += lit.slice(j, k + 1);
      j = k;
    } else if (c === '!' && (lit[j + 1] === '0' || lit[j + 1] === '1') && !/[0-9.]/.test(lit[j + 2] ?? '')) {
      out += lit[j + 1] === '0' ? 'true' : 'false';
      j++;
    } else out += c;
  }
  return out;
}

export function umdObject(src: string, file: string): unknown {
  const i = valueStart(src, file);
  const lit = src.slice(i, literalEnd(src, i, file));
  try {
    return JSON5.parse(restoreBooleans(lit));
  } catch (e) {
    throw new UmdError(`${file}: the exported value is not plain data (${(e as Error).message})`);
  }
}

export function umdBase64(src: string, file: string): Buffer {
  const i = valueStart(src, file);
  const lit = src.slice(i, literalEnd(src, i, file));
  const b64 = lit.slice(1, -1);
  if (!/^[A-Za-z0-9+/=\s]*$/.test(b64)) throw new UmdError(`${file}: the exported string is not base64`);
  return Buffer.from(b64, 'base64');
}
