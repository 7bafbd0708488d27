import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Dispatch, EventHub } from '../api/dispatch';
import { CONTENT_SECURITY_POLICY } from '../security';
import { contentTypeOf, resolveStaticFile } from '../api/static-files';

/** Large enough for an image query (10 MB of file, base64) and nothing much larger. */
const MAX_BODY = 16 << 20;
/** A client has this long to send a request's headers (and a new connection its first byte): slow clients are closed. */
const HEADERS_TIMEOUT_MS = 15_000;
/** Open connections at once: the UI needs a handful; thousands are a client holding the server's sockets. */
const MAX_CONNECTIONS = 256;

export interface WebServerOptions {
  dispatch: Dispatch;
  hub: EventHub;
  /** The built renderer (vite build output). */
  staticDir: string;
  port?: number;
  token?: string;
  log?: (msg: string) => void;
  /** How long a client may take over a request's headers (tests shorten it). */
  headersTimeoutMs?: number;
  maxConnections?: number;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Web mode: the same UI and the same API contract over HTTP + WebSocket, bound to 127.0.0.1 only. Every API
 * request needs the session token from the printed URL; the Host header must be loopback (no DNS rebinding).
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? randomBytes(24).toString('hex');
  const log = options.log ?? (() => {});
  const staticDir = path.resolve(options.staticDir);
  let port = 0;

  const requestUrl = (raw: string | undefined): URL | null => {
    try {
      return new URL(`http://127.0.0.1${(raw ?? '/').startsWith('/') ? '' : '/'}${raw ?? '/'}`);
    } catch {
      return null;
    }
  };
  const hostAllowed = (host: string | undefined) => host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  // A browser names the page that sends a request: only our own page may call the API or open the event stream,
  // whatever token another page got hold of. Clients that are not browsers (the CLI, scripts) send no Origin.
  const originAllowed = (origin: string | undefined) =>
    origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;

  const headersTimeoutMs = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  // Node checks the headers limit every connectionsCheckingInterval (30 s unless told): a trickling client would
  // outlive the limit by that much.
  const server = http.createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: Math.max(headersTimeoutMs, 120_000),
      connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
    },
    (req, res) => {
      if (!hostAllowed(req.headers.host)) {
        res.writeHead(403).end('Forbidden host');
        return;
      }
      const url = requestUrl(req.url);
      if (!url) {
        res.writeHead(400).end('Bad request');
        return;
      }
      if (url.pathname === '/api/call') {
        // Total: a body that is not an object, or a client that disconnects mid-body, gets an error, never a dead server.
        handleCall(req, res).catch((err: unknown) => {
          log(`api call failed: ${err instanceof Error ? err.message : String(err)}`);
          if (!res.headersSent)
            res
              .writeHead(400, { 'content-type': 'application/json' })
              .end(JSON.stringify({ ok: false, error: { code: 'invalid_input', message: 'Malformed request' } }));
          else res.destroy();
        });
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      serveStatic(url.pathname, res);
    },
  );
  // Silent clients: Node times out headers only once a request has begun, so a connection that sends nothing gets
  // an idle limit from its first moment; a request that has begun clears it.
  server.maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
  server.on('connection', (socket) => {
    socket.setTimeout(headersTimeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
  });
  server.on('request', (req) => req.socket.setTimeout(0));
  // Node answers a bad or slow request (400, 408, 431) with end(), which leaves the socket open until the client
  // closes its side: one that never does would keep it. The answer is written, then the socket goes.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const status =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    (socket as Socket).destroySoon?.();
    setTimeout(() => socket.destroy(), 1000).unref();
  });

  async function handleCall(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };
    if (req.method !== 'POST') return reply(405, { ok: false, error: { code: 'failed', message: 'POST only' } });
    if (!originAllowed(req.headers.origin))
      return reply(403, { ok: false, error: { code: 'unauthorized', message: 'Cross-site request refused' } });
    const auth = req.headers.authorization?.replace(/^Bearer /, '');
    if (!sameToken(auth, token))
      return reply(401, { ok: false, error: { code: 'unauthorized', message: 'Missing or wrong session token' } });
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) return reply(413, { ok: false, error: { code: 'invalid_input', message: 'Request too large' } });
      chunks.push(chunk as Buffer);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(400, { ok: false, error: { code: 'invalid_input', message: 'Body is not JSON' } });
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return reply(400, { ok: false, error: { code: 'invalid_input', message: 'Body must be a JSON object {method, input}' } });
    }
    const { method, input } = body as { method?: unknown; input?: unknown };
    const result = await options.dispatch(method, input);
    reply(result.ok ? 200 : result.error.code === 'unknown_method' ? 404 : result.error.code === 'invalid_input' ? 400 : 200, result);
  }

  function serveStatic(pathname: string, res: http.ServerResponse): void {
    const file = resolveStaticFile(staticDir, pathname);
    if (!file) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(existsSync(staticDir) ? 'Not found' : `The UI is not built: run "npm run build" (looked in ${staticDir})`);
      return;
    }
    const headers: Record<string, string> = { 'content-type': contentTypeOf(file), 'x-content-type-options': 'nosniff' };
    if (file.endsWith('.html')) {
      headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
      headers['cache-control'] = 'no-store';
    }
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  }

  // The event stream only sends: what a client may send is small.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 << 10 });
  wss.on('error', (err) => log(`event server: ${err.message}`));
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    (socket as Socket).setTimeout(0);
    const url = requestUrl(req.url);
    if (url?.pathname !== '/api/events' || !hostAllowed(req.headers.host) || !sameToken(url.searchParams.get('token'), token)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    if (!originAllowed(req.headers.origin)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      // A malformed frame (reserved opcode, unmasked, bad UTF-8, huge length) is the client's fault: ws closes that
      // socket with a protocol error, and an 'error' with no listener would end the whole server.
      ws.on('error', (err) => {
        log(`event socket closed: ${err.message}`);
        ws.terminate();
      });
    });
  });
  const unsubscribe = options.hub.subscribe((event, payload) => {
    const message = JSON.stringify({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(message);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/?token=${token}`;
  log(`web mode on ${url}`);

  return {
    url,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
