// The zoo downloader against a local server on 127.0.0.1 that misbehaves on purpose: dropped connections,
// a trickle, a stall, 404s, a wrong digest, a cancel.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkUrl, DownloadCancelled, DownloadError, type DownloadProgress, download } from '../../main/zoo/download';
import { tempDir } from '../helpers/tmp';
import { trickle } from '../helpers/zoo-fixture';

const payload = randomBytes(300_000);
const sri = (b: Buffer, alg = 'sha512') => `${alg}-${createHash(alg).update(b).digest('base64')}`;
const requests: { path: string; range: string | undefined }[] = [];
const dropped = new Set<string>();
let server: http.Server;
let base: string;
let dir: string;
let cleanup: () => void;

/** Serves `payload` honouring Range; each path misbehaves in its own way. */
function handler(req: http.IncomingMessage, res: http.ServerResponse) {
  const p = req.url ?? '/';
  requests.push({ path: p, range: req.headers.range });
  if (p === '/missing') return void res.writeHead(404).end('no');
  // A Git LFS host (the Hugging Face hub): a redirect to the storage carrying the file's sha256 as X-Linked-ETag.
  const lfs = /^\/lfs\/(good|bad)$/.exec(p);
  if (lfs) {
    const sha = lfs[1] === 'good' ? createHash('sha256').update(payload).digest('hex') : 'f'.repeat(64);
    return void res.writeHead(302, { location: '/file', 'x-linked-etag': `"${sha}"` }).end();
  }
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const body = payload.subarray(start);
  const headers: http.OutgoingHttpHeaders = { 'content-length': body.length, 'accept-ranges': 'bytes' };
  if (m) headers['content-range'] = `bytes ${start}-${payload.length - 1}/${payload.length}`;
  res.writeHead(m ? 206 : 200, headers);
  if ((p === '/drop' || p === '/stall') && !dropped.has(p)) {
    dropped.add(p);
    // Drop only once the 100,000 bytes are handed to the kernel: a timer alone raced the write under load.
    res.write(body.subarray(0, 100_000), () => {
      if (p === '/drop') setTimeout(() => res.socket?.destroy(), 20);
    });
    return; // '/stall': never another byte on this connection
  }
  if (p === '/slow' || p === '/cancel') return trickle(res, body, 20_000, 30);
  res.end(body);
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-download-'));
  server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  cleanup();
});

describe('zoo downloader', () => {
  it('downloads, reports progress (bytes, speed, ETA) and verifies the digest', async () => {
    const progress: DownloadProgress[] = [];
    const dest = path.join(dir, 'slow.bin');
    const r = await download(`${base}/slow`, dest, { digest: sri(payload), onProgress: (p) => progress.push(p) });
    expect(r).toMatchObject({ bytes: payload.length, digest: sri(payload) });
    expect(readFileSync(dest).equals(payload)).toBe(true);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toMatchObject({ received: payload.length, total: payload.length });
    expect(progress.every((p, i) => i === 0 || p.received >= progress[i - 1]!.received)).toBe(true);
    expect(progress.some((p) => p.bytesPerSecond > 0 && p.etaSeconds !== null && p.etaSeconds > 0)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('resumes with a Range request after the connection drops', async () => {
    const dest = path.join(dir, 'drop.bin');
    await download(`${base}/drop`, dest, { digest: sri(payload, 'sha256') });
    expect(readFileSync(dest).equals(payload)).toBe(true);
    const tries = requests.filter((q) => q.path === '/drop');
    expect(tries).toHaveLength(2);
    expect(tries[1]!.range).toBe('bytes=100000-');
  });

  it('gives up on a stalled connection and resumes on a new one', async () => {
    const dest = path.join(dir, 'stall.bin');
    await download(`${base}/stall`, dest, { digest: createHash('sha256').update(payload).digest('hex'), stallMs: 300 });
    expect(statSync(dest).size).toBe(payload.length);
    expect(requests.filter((q) => q.path === '/stall').map((q) => q.range)).toEqual([undefined, 'bytes=100000-']);
  });

  it("checks a file against the server's published sha256 when no digest is known, and returns the file's own otherwise", async () => {
    const sha = createHash('sha256').update(payload).digest('hex');
    const good = await download(`${base}/lfs/good`, path.join(dir, 'lfs-good.bin'), { digest: null });
    expect(good).toMatchObject({ digest: sha, published: true, bytes: payload.length });
    const dest = path.join(dir, 'lfs-bad.bin');
    await expect(download(`${base}/lfs/bad`, dest, { digest: null })).rejects.toThrow(
      /digest is [0-9a-f]{64} but f{64} was published by the server; the file was deleted/,
    );
    expect(existsSync(dest) || existsSync(`${dest}.part`)).toBe(false);
    // No digest anywhere: the download succeeds, unverified, with the digest to pin.
    expect(await download(`${base}/file`, path.join(dir, 'plain.bin'), { digest: null })).toMatchObject({ digest: sha, published: false });
  });

  it('deletes a file whose digest does not match, and says which digests differ', async () => {
    const dest = path.join(dir, 'bad.bin');
    const wrong = sri(Buffer.from('something else'));
    await expect(download(`${base}/file`, dest, { digest: wrong })).rejects.toThrow(
      /digest is sha512-.* but sha512-.* was expected; the file was deleted/,
    );
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('reports a 404 at once, without retrying', async () => {
    const before = requests.filter((q) => q.path === '/missing').length;
    await expect(download(`${base}/missing`, path.join(dir, 'm.bin'), { digest: null })).rejects.toThrow(/not found \(HTTP 404\)/);
    expect(requests.filter((q) => q.path === '/missing').length - before).toBe(1);
  });

  it('cancels mid-way, keeps the partial file, and the next download resumes it', async () => {
    const dest = path.join(dir, 'cancel.bin');
    const ac = new AbortController();
    const first = download(`${base}/cancel`, dest, {
      digest: sri(payload),
      signal: ac.signal,
      onProgress: (p) => p.received >= 60_000 && ac.abort(),
    });
    await expect(first).rejects.toBeInstanceOf(DownloadCancelled);
    const kept = statSync(`${dest}.part`).size;
    expect(kept).toBeGreaterThanOrEqual(60_000);
    expect(kept).toBeLessThan(payload.length);
    await download(`${base}/cancel`, dest, { digest: sri(payload) });
    expect(readFileSync(dest).equals(payload)).toBe(true);
    expect(requests.filter((q) => q.path === '/cancel').at(-1)!.range).toBe(`bytes=${kept}-`);
  });

  it('starts over when the server ignores the Range of a stale partial file', async () => {
    const dest = path.join(dir, 'norange.bin');
    writeFileSync(`${dest}.part`, Buffer.alloc(5000, 7));
    const plain = http.createServer((_req, res) => res.writeHead(200, { 'content-length': payload.length }).end(payload));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    try {
      await download(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/x`, dest, { digest: sri(payload) });
      expect(readFileSync(dest).equals(payload)).toBe(true);
    } finally {
      plain.closeAllConnections();
      await new Promise((r) => plain.close(r));
    }
  });

  it('refuses plain http beyond loopback, and what is not a URL', () => {
    expect(() => checkUrl('http://example.com/model.bin')).toThrow(DownloadError);
    expect(() => checkUrl('ftp://127.0.0.1/x')).toThrow(/must use https/);
    expect(() => checkUrl('not a url')).toThrow(/Not a URL/);
    expect(checkUrl('https://example.com/m.bin').host).toBe('example.com');
    expect(checkUrl('http://localhost:8080/m.bin').port).toBe('8080');
  });
});
