import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCore, type Core } from '../../main/services/core';
import { startWebServer, type WebServer } from '../../main/web/server';
import { resolveStaticFile } from '../../main/api/static-files';
import { SAMPLE_CSV, tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
let core: Core;
let server: WebServer;
const base = () => `http://127.0.0.1:${server.port}`;

async function call(method: string, input: unknown, token = server.token) {
  const res = await fetch(`${base()}/api/call`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ method, input }),
  });
  // The tests assert the response shapes themselves.
  return { status: res.status, body: (await res.json()) as any };
}

/** Sends `text` as-is on a socket; resolves with the status line (or the whole reply). */
function rawRequest(text: string, whole = false): Promise<string> {
  return new Promise<string>((resolve) => {
    const sock = net.connect(server.port, '127.0.0.1', () => sock.end(text));
    let got = '';
    sock.on('data', (d) => (got += d));
    sock.on('close', () => resolve(whole ? got : got.split('\r\n')[0]!));
    sock.on('error', () => resolve('closed'));
  });
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  const staticDir = path.join(dir, 'static');
  mkdirSync(staticDir);
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(path.join(dir, 'secret.txt'), 'secret');
  core = await startCore(path.join(dir, 'data'), 'web', () => {});
  server = await startWebServer({ dispatch: core.dispatch, hub: core.hub, staticDir });
});
afterAll(async () => {
  await server.close();
  await core.close();
  cleanup();
});

describe('web mode server', () => {
  it('binds to loopback and prints a URL with the session token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  });

  it('serves the contract with the token', async () => {
    const { status, body } = await call('app.info', {});
    expect(status).toBe(200);
    expect(body).toMatchObject({
      ok: true,
      result: { name: 'Metric Studio', transport: 'web', dataDir: path.join(dir, 'data'), desktop: false },
    });
  });

  it('refuses the desktop-only methods with a reason, and keeps serving', async () => {
    for (const [method, input] of [
      ['app.pickPath', { kind: 'folder' }],
      ['app.openDataFolder', {}],
    ] as const) {
      const { body } = await call(method, input);
      expect(body).toMatchObject({
        ok: false,
        error: { code: 'failed', message: expect.stringMatching(/only the desktop app.*type the path/i) },
      });
    }
    expect((await call('app.pickPath', { kind: 'everything' })).body).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect((await call('app.info', {})).status).toBe(200);
  });

  it('inspects the sample dataset over HTTP and registers it', async () => {
    const { body } = await call('datasets.inspect', { csvPath: SAMPLE_CSV });
    expect(body.result.summary.rows).toBe(600);
    const row = await core.store.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM datasets');
    expect(row!.n).toBe(1);
    // Now the most recent dataset; another opened later comes first.
    expect((await call('datasets.recent', {})).body.result).toEqual([
      expect.objectContaining({ csvPath: SAMPLE_CSV, name: 'fashion-mnist-mini' }),
    ]);
    await new Promise((r) => setTimeout(r, 5));
    const seen = path.join(path.dirname(SAMPLE_CSV), 'df_seen.csv');
    await call('datasets.inspect', { csvPath: seen });
    expect((await call('datasets.recent', {})).body.result.map((d: { csvPath: string }) => d.csvPath)).toEqual([seen, SAMPLE_CSV]);
  });

  it('reads only the tables the user opened and the images of their rows, even with the token', async () => {
    const { writePng } = await import('../helpers/tmp');
    const other = path.join(dir, 'other');
    mkdirSync(path.join(other, 'imgs'), { recursive: true });
    await writePng(path.join(other, 'imgs', 'a.png'), 16, 16, 1);
    await writePng(path.join(other, 'imgs', 'b.png'), 16, 16, 2);
    await writePng(path.join(dir, 'outside.png'), 16, 16, 3);
    const csv = path.join(other, 'df.csv');
    writeFileSync(
      csv,
      'label,path,split,is_query,is_gallery\n0,imgs/a.png,train,,\n0,imgs/b.png,train,,\n1,../outside.png,validation,True,True\n',
    );
    const code = async (method: string, input: unknown) => (await call(method, input)).body.error?.code ?? 'ok';
    // Before the user opens it: no rows, no thumbnails; a file that is no table is never parsed.
    expect(await code('datasets.rows', { csvPath: csv })).toBe('not_found');
    expect(await code('datasets.thumbnail', { root: other, path: 'imgs/a.png' })).toBe('not_found');
    expect(await code('datasets.inspect', { csvPath: path.join(dir, 'secret.txt') })).toBe('invalid_input');
    // A .csv that is no dataset (no label/path columns) is reported, and opens nothing.
    writeFileSync(path.join(dir, 'notes.csv'), 'secret\n');
    expect((await call('datasets.inspect', { csvPath: path.join(dir, 'notes.csv') })).body.result.ok).toBe(false);
    const passwd = await call('datasets.inspect', { csvPath: '/etc/passwd' });
    expect(passwd.body.error).toMatchObject({ code: 'invalid_input', message: '/etc/passwd: a dataset is a .csv (or .tsv) table' });
    // Opened: its rows, the images under its root, and a row's image outside it (the user's data) are shown.
    expect(await code('datasets.inspect', { csvPath: csv })).toBe('ok');
    expect((await call('datasets.rows', { csvPath: csv })).body.result.total).toBe(3);
    // Rows by spreadsheet number (a point hovered on the map): in the order asked, unknown numbers left out.
    const byNumber = (await call('datasets.rows', { csvPath: csv, rows: [4, 9, 2] })).body.result.rows;
    expect(byNumber.map((r: { row: number; path: string }) => [r.row, r.path])).toEqual([
      [4, '../outside.png'],
      [2, 'imgs/a.png'],
    ]);
    expect(await code('datasets.thumbnail', { root: other, path: 'imgs/a.png' })).toBe('ok');
    expect(await code('datasets.thumbnail', { root: other, path: '../outside.png' })).toBe('ok');
    // Anything else stays closed: another image outside the root, an absolute path, the root of no dataset.
    await writePng(path.join(dir, 'private.png'), 16, 16, 4);
    expect(await code('datasets.thumbnail', { root: other, path: '../private.png' })).toBe('not_found');
    expect(await code('datasets.thumbnail', { root: other, path: path.join(dir, 'private.png') })).toBe('not_found');
    expect(await code('datasets.thumbnail', { root: dir, path: 'private.png' })).toBe('not_found');
    expect(await code('explorer.search', { csvPath: path.join(dir, 'unopened.csv'), queryRow: 2 })).toBe('not_found');
    const png = readFileSync(path.join(other, 'imgs/a.png')).toString('base64');
    expect(await code('explorer.searchImage', { csvPath: path.join(dir, 'unopened.csv'), image: png })).toBe('not_found');
  });

  it('takes an image query of several MB, and refuses one past 10 MB by its field', async () => {
    const big = await call('explorer.searchImage', { csvPath: path.join(dir, 'unopened.csv'), image: 'A'.repeat(6_000_000) });
    expect(big.status).toBe(200); // read whole and dispatched: refused for the dataset, not the size
    expect(big.body.error.code).toBe('not_found');
    const huge = await call('explorer.searchImage', { csvPath: path.join(dir, 'unopened.csv'), image: 'A'.repeat(14_000_001) });
    expect(huge.status).toBe(400);
    expect(huge.body.error.issues[0].path).toBe('image');
  });

  it('refuses calls without the right token', async () => {
    const { status, body } = await call('app.info', {}, 'wrong');
    expect(status).toBe(401);
    expect(body.error.code).toBe('unauthorized');
  });

  it('rejects invalid input with 400 and the field name', async () => {
    const { status, body } = await call('runs.get', { id: -1 });
    expect(status).toBe(400);
    expect(body.error.issues[0].path).toBe('id');
  });

  it('answers unknown methods with 404 and missing runs with not_found', async () => {
    expect((await call('nope', {})).status).toBe(404);
    expect((await call('runs.get', { id: 999 })).body.error).toMatchObject({ code: 'not_found' });
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const http = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: server.port, path: '/', headers: { host: 'evil.example' } }, (res) => resolve(res.statusCode!));
    });
    expect(status).toBe(403);
  });

  it('serves the UI with a CSP and nothing outside its folder', async () => {
    const res = await fetch(`${base()}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    // fetch() and the URL parser fold `..` and `%2e%2e` away before they reach the server: send the bytes raw.
    // secret.txt exists one folder above the static root, so a resolver that let any of these out answers 200.
    const host = `Host: 127.0.0.1:${server.port}`;
    for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/static/../../secret.txt']) {
      const reply = await rawRequest(`GET ${target} HTTP/1.1\r\n${host}\r\nConnection: close\r\n\r\n`, true);
      expect(reply, target).toMatch(/^HTTP\/1\.1 404/);
      expect(reply, target).not.toContain('secret');
    }
    // The same resolver answers files inside (the control) and nothing outside.
    const staticDir = path.join(dir, 'static');
    expect(resolveStaticFile(staticDir, '/index.html')).toBe(path.join(staticDir, 'index.html'));
    for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', `/${path.join(dir, 'secret.txt')}`])
      expect(resolveStaticFile(staticDir, target), target).toBeNull();
    expect(readFileSync(path.join(dir, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('survives malformed requests: bad percent-encoding, an empty host path, non-object bodies, a body cut mid-way', async () => {
    const host = `Host: 127.0.0.1:${server.port}`;
    expect(await rawRequest(`GET /%ff HTTP/1.1\r\n${host}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 404/);
    expect(await rawRequest(`GET // HTTP/1.1\r\n${host}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 404/);
    expect(await rawRequest(`GET /%00 HTTP/1.1\r\n${host}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 404/);
    const auth = `Authorization: Bearer ${server.token}`;
    for (const body of ['null', '[1]', '"x"', '7']) {
      const line = await rawRequest(
        `POST /api/call HTTP/1.1\r\n${host}\r\n${auth}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      expect(line, body).toMatch(/^HTTP\/1\.1 400/);
    }
    // Announces 1000 bytes, sends 10, hangs up.
    await rawRequest(`POST /api/call HTTP/1.1\r\n${host}\r\n${auth}\r\nContent-Length: 1000\r\n\r\n{"method":`);
    // Still alive and serving.
    expect((await call('app.info', {})).status).toBe(200);
  });

  it('refuses API calls and the event stream from another site, even with the token', async () => {
    const post = (origin?: string) =>
      fetch(`${base()}/api/call`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json', ...(origin ? { origin } : {}) },
        body: JSON.stringify({ method: 'app.info', input: {} }),
      });
    const foreign = await post('http://evil.example');
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { message: string } }).error.message).toBe('Cross-site request refused');
    // Another page on the same machine is another site too (another port), and so is https on our port.
    expect((await post(`http://127.0.0.1:${server.port + 1}`)).status).toBe(403);
    expect((await post(`https://127.0.0.1:${server.port}`)).status).toBe(403);
    expect((await post(`http://127.0.0.1:${server.port}`)).status).toBe(200); // our own page
    expect((await post(`http://localhost:${server.port}`)).status).toBe(200);
    expect((await post()).status).toBe(200); // not a browser: no Origin

    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=${server.token}`, { origin: 'http://evil.example' });
    const refused = await new Promise<string>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.on('open', () => resolve('open'));
      ws.on('error', () => resolve('error'));
    });
    expect(refused).not.toBe('open');
    ws.terminate();
  });

  it('pushes events over the WebSocket to token holders only', async () => {
    const bad = new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=nope`);
    await new Promise((resolve) => bad.on('error', resolve));

    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=${server.token}`);
    await new Promise((resolve) => ws.on('open', resolve));
    const got = new Promise((resolve) => ws.on('message', (m) => resolve(JSON.parse(String(m)))));
    core.hub.emit('runs.changed', { runId: 7 });
    expect(await got).toEqual({ event: 'runs.changed', payload: { runId: 7 } });
    ws.close();
  });
});
