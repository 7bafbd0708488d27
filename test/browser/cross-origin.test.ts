// A page on another origin (another port of 127.0.0.1, as any site the user visits could be) tries everything it
// can against web mode — even knowing the session token: API calls by fetch and by a plain form post, the event
// socket, and requests that once killed the server. The server must refuse them all and keep serving.
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, startBrowserSession } from '../helpers/browser';
import { SAMPLE_CSV } from '../helpers/tmp';

let session: BrowserSession;
let evil: http.Server;
let evilOrigin: string;
let runId: number;

beforeAll(async () => {
  session = await startBrowserSession('ms-xorigin-', async ({ web }) => {
    const ds = await web.core.store.registerDataset('mini', SAMPLE_CSV, path.dirname(SAMPLE_CSV));
    runId = await web.core.store.createRun({ name: 'precious', datasetId: ds });
    await web.core.store.setStatus(runId, 'finished');
  });
  evil = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>elsewhere</title><body>elsewhere</body>');
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  evilOrigin = `http://127.0.0.1:${(evil.address() as { port: number }).port}`;
});
afterAll(async () => {
  await session?.close();
  await new Promise((r) => evil?.close(r));
});

describe('web mode against a page from another origin', () => {
  it('refuses its API calls, form posts and event socket, survives its crash requests, and keeps every run', async () => {
    const { page, web } = session;
    await page.goto(`${evilOrigin}/`);
    const app = `http://127.0.0.1:${web.server.port}`;
    const attempts = await page.evaluate(
      async ({ app, token, runId }) => {
        const out: Record<string, string> = {};
        // 1. fetch with the token: the request reaches the server, which must refuse it by its Origin.
        try {
          const r = await fetch(`${app}/api/call`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ method: 'runs.delete', input: { id: runId, deleteFiles: true } }),
          });
          out.fetch = `status ${r.status}`;
        } catch (e) {
          out.fetch = `blocked: ${(e as Error).name}`;
        }
        // 2. A "simple" request (no preflight): text/plain body, no-cors — what a plain HTML form can send.
        await fetch(`${app}/api/call`, {
          method: 'POST',
          mode: 'no-cors',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ method: 'runs.delete', input: { id: runId, deleteFiles: true } }),
        }).then(
          () => (out.simple = 'sent'),
          () => (out.simple = 'blocked'),
        );
        // 3. The event stream, token in the URL.
        out.socket = await new Promise<string>((resolve) => {
          const ws = new WebSocket(`${app.replace('http', 'ws')}/api/events?token=${token}`);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
          setTimeout(() => resolve('timeout'), 5000);
        });
        // 4. The requests that used to end the process, as <img> tags any page can embed.
        await Promise.all(
          ['/%ff', '//', '/%00', '/api/call?%zz'].map(
            (p) =>
              new Promise<void>((resolve) => {
                const img = new Image();
                img.onload = img.onerror = () => resolve();
                img.src = `${app}${p}`;
              }),
          ),
        );
        return out;
      },
      { app, token: web.server.token, runId },
    );
    // The browser may block the cross-site fetch itself (CORS) or see the server's 403: either way, no deletion.
    expect(attempts.fetch).toMatch(/^(status 403|blocked: TypeError)$/);
    expect(attempts.simple).toBe('sent');
    expect(attempts.socket).toBe('refused');
    // Still serving, and the run is still there with its data.
    const res = await fetch(`${app}/api/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${web.server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'runs.get', input: { id: runId } }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { name: string } }).result.name).toBe('precious');
    // The page's own errors are the refusals themselves; nothing else went wrong.
    const refusals = /status of 40[34]|CORS|WebSocket|ERR_FAILED/;
    expect(session.errors.filter((e) => !e.includes(app) && !refusals.test(e))).toEqual([]);
    expect(session.errors.some((e) => e.includes('status of 403'))).toBe(true);
  });
});
