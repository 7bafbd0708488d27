import { fileDigest } from '../file-digest';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Dispatcher, EnvHttpProxyAgent, request } from 'undici';

/** A download that cannot succeed as asked (404, refused address, digest mismatch, too large): not retried. */
export class DownloadError extends Error {}
export class DownloadCancelled extends Error {
  constructor(url: string) {
    super(`Download of ${url} was cancelled (the partial file is kept and resumes next time)`);
  }
}

export interface DownloadProgress {
  received: number;
  /** Bytes in the whole file, when the server says. */
  total: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface DownloadOptions {
  /** SRI digest (`sha512-…`, `sha256-…`) or a hex sha256 the file must have; null = none known (unverified). */
  digest: string | null;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Attempts after the first, each resuming the partial file. */
  retries?: number;
  /** No byte for this long ends an attempt (then retried). */
  stallMs?: number;
  maxBytes?: number;
  dispatcher?: Dispatcher;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/** https only, except loopback (tests, local mirrors): a model is code-adjacent data and must not be tampered with. */
export function checkUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DownloadError(`Not a URL: ${url}`);
  }
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:' && LOOPBACK.test(u.hostname)) return u;
  throw new DownloadError(`Refusing ${u.protocol}//${u.host}: downloads must use https (plain http only on this machine's loopback)`);
}

let defaultDispatcher: Dispatcher | null = null;
/** Honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY as curl and npm do. */
const proxyAware = () => (defaultDispatcher ??= new EnvHttpProxyAgent());

/**
 * Downloads `url` to `dest`: into `dest.part` first, resuming it with an HTTP Range request after a dropped
 * connection (and on the next call after a cancel), retrying with back-off, reporting bytes, speed and ETA,
 * then checking the digest — a mismatch deletes the file and says so — and renaming into place.
 */
export async function download(
  url: string,
  dest: string,
  opts: DownloadOptions,
): Promise<{ file: string; bytes: number; digest: string | null; published: boolean }> {
  checkUrl(url);
  const part = `${dest}.part`;
  const retries = opts.retries ?? 4;
  let published: string | null = null;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw new DownloadCancelled(url);
    try {
      published = await attemptOnce(url, part, opts);
      break;
    } catch (e) {
      if (e instanceof DownloadError || e instanceof DownloadCancelled || attempt >= retries) {
        if (e instanceof DownloadError || e instanceof DownloadCancelled) throw e;
        throw new DownloadError(`Download of ${url} failed after ${attempt + 1} attempts: ${(e as Error).message}`);
      }
      await sleep(Math.min(8000, 250 * 2 ** attempt), undefined, { signal: opts.signal }).catch(() => {});
    }
  }
  const bytes = (await stat(part)).size;
  // With no digest given, the server's published sha256 is the check; with neither, the file's own sha256 is
  // returned to be pinned (and the download stays unverified).
  const expected = opts.digest ?? published;
  const digest = await fileDigest(part, expected ?? 'hex');
  if (expected && digest !== expected) {
    await rm(part, { force: true });
    const whose = opts.digest ? 'expected' : 'published by the server';
    throw new DownloadError(`${url}: the download's digest is ${digest} but ${expected} was ${whose}; the file was deleted`);
  }
  await rename(part, dest);
  return { file: dest, bytes, digest, published: !opts.digest && published !== null };
}

/**
 * The sha256 a server publishes for the file, if any: Git LFS hosts (the Hugging Face hub among them) send it as
 * `X-Linked-ETag` on the redirect to their storage, or as the `ETag` of the file itself.
 */
export function publishedSha256(headers: Record<string, string | string[] | undefined>): string | null {
  for (const name of ['x-linked-etag', 'etag']) {
    const v = headers[name];
    const m = /^(?:W\/)?"?([0-9a-f]{64})"?$/.exec(String(Array.isArray(v) ? v[0] : (v ?? '')).trim());
    if (m) return m[1]!;
  }
  return null;
}

/** GET with redirects followed by hand, so every hop passes checkUrl (no https → http downgrade). */
async function follow(url: string, have: number, signal: AbortSignal, dispatcher: Dispatcher) {
  let at = url;
  let published: string | null = null;
  for (let hop = 0; hop <= 5; hop++) {
    const res = await request(at, { method: 'GET', headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal, dispatcher });
    published ??= publishedSha256(res.headers);
    const location = res.headers.location;
    if (res.statusCode < 300 || res.statusCode >= 400 || typeof location !== 'string') return { ...res, published };
    res.body.resume();
    at = checkUrl(new URL(location, at).href).href;
  }
  throw new DownloadError(`${url}: too many redirects`);
}

async function attemptOnce(url: string, part: string, opts: DownloadOptions): Promise<string | null> {
  const have = (await stat(part).catch(() => null))?.size ?? 0;
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  opts.signal?.addEventListener('abort', onAbort);
  let stall: NodeJS.Timeout | null = null;
  const armStall = () => {
    if (stall) clearTimeout(stall);
    stall = setTimeout(() => ac.abort(new Error(`no data for ${(opts.stallMs ?? 30_000) / 1000} s`)), opts.stallMs ?? 30_000);
  };
  try {
    armStall();
    const { statusCode, headers, body, published } = await follow(url, have, ac.signal, opts.dispatcher ?? proxyAware());
    if (statusCode === 404 || statusCode === 410) {
      body.resume();
      throw new DownloadError(`${url}: not found (HTTP ${statusCode})`);
    }
    if (statusCode >= 400 && statusCode < 500 && statusCode !== 408 && statusCode !== 429) {
      body.resume();
      throw new DownloadError(`${url}: the server refused the download (HTTP ${statusCode})`);
    }
    if (statusCode !== 200 && statusCode !== 206) {
      body.resume();
      throw new Error(`HTTP ${statusCode}`);
    }
    // 206 continues the partial file; 200 (a server without ranges) starts it over.
    const resumed = statusCode === 206 && String(headers['content-range'] ?? '').startsWith(`bytes ${have}-`);
    const start = resumed ? have : 0;
    const length = Number(headers['content-length'] ?? Number.NaN);
    const total = Number.isFinite(length) ? start + length : null;
    if (total !== null && opts.maxBytes && total > opts.maxBytes) {
      body.resume();
      throw new DownloadError(`${url}: ${total} bytes is over the ${opts.maxBytes}-byte limit`);
    }
    const out = createWriteStream(part, { flags: resumed ? 'a' : 'w' });
    const t0 = performance.now();
    let received = start;
    let lastReport = 0;
    try {
      for await (const chunk of body) {
        armStall();
        received += (chunk as Buffer).length;
        if (opts.maxBytes && received > opts.maxBytes) throw new DownloadError(`${url}: more than ${opts.maxBytes} bytes`);
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        const now = performance.now();
        if (now - lastReport > 100 || received === total) {
          lastReport = now;
          const bytesPerSecond = (received - start) / Math.max((now - t0) / 1000, 1e-3);
          const etaSeconds = total !== null && bytesPerSecond > 0 ? (total - received) / bytesPerSecond : null;
          opts.onProgress?.({ received, total, bytesPerSecond, etaSeconds });
        }
      }
    } finally {
      await new Promise<void>((r) => out.end(r));
    }
    if (total !== null && received < total) throw new Error(`connection closed after ${received} of ${total} bytes`);
    return published;
  } catch (e) {
    if (opts.signal?.aborted) throw new DownloadCancelled(url);
    throw e;
  } finally {
    if (stall) clearTimeout(stall);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
