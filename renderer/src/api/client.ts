import type {
  ApiClient,
  ApiErrorShape,
  BridgeSurface,
  EventName,
  EventPayload,
  MethodInput,
  MethodName,
  MethodOutput,
} from '../../../shared/api';

/** A failed API call as the renderer sees it, whichever transport carried it. */
export class ClientError extends Error {
  constructor(readonly shape: ApiErrorShape) {
    super(shape.message);
    this.name = 'ClientError';
  }
}

type Handler = (payload: unknown) => void;

function listenerSet() {
  const handlers = new Map<string, Set<Handler>>();
  return {
    add(event: string, h: Handler) {
      if (!handlers.has(event)) handlers.set(event, new Set());
      handlers.get(event)!.add(h);
      return () => handlers.get(event)!.delete(h);
    },
    emit(event: string, payload: unknown) {
      for (const h of handlers.get(event) ?? []) h(payload);
    },
  };
}

function unwrap(res: { ok: true; result: unknown } | { ok: false; error: ApiErrorShape }): unknown {
  if (!res.ok) throw new ClientError(res.error);
  return res.result;
}

/** Electron: the preload's bridge. */
export function ipcClient(bridge: BridgeSurface): ApiClient {
  const listeners = listenerSet();
  bridge.subscribe((event, payload) => listeners.emit(event, payload));
  return {
    transport: 'ipc',
    async call<M extends MethodName>(method: M, input: MethodInput<M>) {
      return unwrap(await bridge.invoke(method, input)) as MethodOutput<M>;
    },
    on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void) {
      return listeners.add(event, handler as Handler);
    },
  };
}

/** Web mode: HTTP for calls, one WebSocket for events (reconnecting), the session token from the URL. */
export function webClient(baseUrl: string, token: string, WebSocketImpl: typeof WebSocket = WebSocket): ApiClient {
  const listeners = listenerSet();
  let retry = 500;
  let dropped = false;
  const connect = () => {
    const ws = new WebSocketImpl(`${baseUrl.replace(/^http/, 'ws')}/api/events?token=${encodeURIComponent(token)}`);
    ws.onmessage = (msg) => {
      const { event, payload } = JSON.parse(String(msg.data)) as { event: string; payload: unknown };
      listeners.emit(event, payload);
    };
    ws.onopen = () => {
      retry = 500;
      // Events sent while the stream was down are gone: whatever shows runs reads them again (runId null: any run).
      if (dropped) listeners.emit('runs.changed', { runId: null });
      dropped = false;
    };
    ws.onclose = () => {
      dropped = true;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10_000);
    };
  };
  connect();
  return {
    transport: 'web',
    async call<M extends MethodName>(method: M, input: MethodInput<M>) {
      const res = await fetch(`${baseUrl}/api/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ method, input }),
      });
      return unwrap(await res.json()) as MethodOutput<M>;
    },
    on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void) {
      return listeners.add(event, handler as Handler);
    },
  };
}

declare global {
  interface Window {
    metricStudio?: BridgeSurface;
  }
}

const TOKEN_KEY = 'metric-studio-token';

/** Picks the transport: the renderer code above this line never knows which one it has. */
export function createClient(): ApiClient {
  if (window.metricStudio) return ipcClient(window.metricStudio);
  const fromUrl = new URLSearchParams(window.location.search).get('token');
  if (fromUrl) sessionStorage.setItem(TOKEN_KEY, fromUrl);
  const token = fromUrl ?? sessionStorage.getItem(TOKEN_KEY) ?? '';
  return webClient(window.location.origin, token);
}
