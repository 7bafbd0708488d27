import { describe, expect, it, vi } from 'vitest';
import { IPC_CHANNELS } from '../../shared/ipc';
import { EventHub } from '../../main/api/dispatch';
import { createBridge, type IpcRendererLike } from '../../main/preload/bridge';
import { registerIpc, type IpcMainLike } from '../../main/electron/ipc';
import { buildMenuTemplate } from '../../main/electron/menu';
import { APP_ORIGIN, denyPermissions, guardNavigation, isTrustedSender, windowOptions } from '../../main/electron/window';
import { CONTENT_SECURITY_POLICY } from '../../main/security';

describe('hardened window', () => {
  it('isolates the page from Node', () => {
    const prefs = windowOptions('/app/preload.cjs').webPreferences!;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      webviewTag: false,
      preload: '/app/preload.cjs',
    });
  });

  it('has a CSP that allows only the app itself to run scripts', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    // Inline style attributes only; no inline <style> elements, no inline scripts.
    expect(CONTENT_SECURITY_POLICY).toContain("style-src-elem 'self'");
    expect(CONTENT_SECURITY_POLICY.match(/unsafe-inline/g)).toHaveLength(1);
    expect(CONTENT_SECURITY_POLICY).toContain("style-src-attr 'unsafe-inline'");
  });

  it('trusts only frames from the app origin', () => {
    expect(isTrustedSender(`${APP_ORIGIN}/index.html#/runs`)).toBe(true);
    expect(isTrustedSender('https://example.com/')).toBe(false);
    expect(isTrustedSender('app://rendererevil/x')).toBe(false);
    expect(isTrustedSender(undefined)).toBe(false);
  });

  it('stops navigation and redirects that leave the app origin, whole origin compared, and opens no window', () => {
    const handlers = new Map<string, (e: { preventDefault(): void }, url: string) => void>();
    let openHandler: (() => { action: 'deny' }) | null = null;
    guardNavigation({ on: (event, l) => handlers.set(event, l), setWindowOpenHandler: (h) => (openHandler = h) });
    const stopped = (event: string, url: string) => {
      let prevented = false;
      handlers.get(event)!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    for (const event of ['will-navigate', 'will-redirect']) {
      expect(stopped(event, `${APP_ORIGIN}/index.html#/runs`)).toBe(false);
      expect(stopped(event, 'app://rendererevil/index.html')).toBe(true); // a prefix of the origin is not the origin
      expect(stopped(event, 'https://example.com/')).toBe(true);
      expect(stopped(event, 'file:///etc/passwd')).toBe(true);
    }
    expect(openHandler!()).toEqual({ action: 'deny' });
  });

  it('refuses every permission, asked or checked', () => {
    let request: ((wc: unknown, p: string, cb: (granted: boolean) => void) => void) | null = null;
    let check: ((wc: unknown, p: string) => boolean) | null = null;
    denyPermissions({ setPermissionRequestHandler: (h) => (request = h), setPermissionCheckHandler: (h) => (check = h) });
    const granted: boolean[] = [];
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read']) {
      request!(null, p, (g) => granted.push(g));
      expect(check!(null, p)).toBe(false);
    }
    expect(granted).toEqual([false, false, false, false]);
  });

  it('has DevTools in the menu in development only', () => {
    const view = (devTools: boolean) =>
      buildMenuTemplate('linux', () => {}, { devTools }).find((m) => m.label === 'View')!.submenu as { role?: string }[];
    expect(view(true).some((i) => i.role === 'toggleDevTools')).toBe(true);
    expect(view(false).some((i) => i.role === 'toggleDevTools')).toBe(false);
    expect(buildMenuTemplate('linux', () => {}).find((m) => m.label === 'View')!.submenu).toEqual(view(false));
  });

  it('builds a menu with an app menu on macOS only', () => {
    expect(buildMenuTemplate('darwin', () => {})[0]).toEqual({ role: 'appMenu' });
    expect(buildMenuTemplate('linux', () => {}).some((m) => m.role === 'appMenu')).toBe(false);
  });
});

function fakeIpcRenderer() {
  const listeners = new Map<string, ((e: unknown, ...a: unknown[]) => void)[]>();
  const ipc: IpcRendererLike & { emit(channel: string, ...args: unknown[]): void } = {
    invoke: vi.fn(async () => ({ ok: true, result: 'pong' })),
    on: (channel, l) => listeners.set(channel, [...(listeners.get(channel) ?? []), l]),
    removeListener: (channel, l) =>
      listeners.set(
        channel,
        (listeners.get(channel) ?? []).filter((x) => x !== l),
      ),
    emit: (channel, ...args) => {
      for (const l of listeners.get(channel) ?? []) l({}, ...args);
    },
  };
  return ipc;
}

describe('preload bridge', () => {
  it('exposes exactly invoke and subscribe, frozen', () => {
    const bridge = createBridge(fakeIpcRenderer());
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'subscribe']);
    expect(Object.isFrozen(bridge)).toBe(true);
  });

  it('invokes the one call channel and relays events until unsubscribed', async () => {
    const ipc = fakeIpcRenderer();
    const bridge = createBridge(ipc);
    await expect(bridge.invoke('app.info', {})).resolves.toEqual({ ok: true, result: 'pong' });
    expect(ipc.invoke).toHaveBeenCalledWith(IPC_CHANNELS.call, 'app.info', {});
    const seen: unknown[] = [];
    const off = bridge.subscribe((e, p) => seen.push([e, p]));
    ipc.emit(IPC_CHANNELS.event, 'runs.changed', { runId: 4 });
    off();
    ipc.emit(IPC_CHANNELS.event, 'runs.changed', { runId: 5 });
    expect(seen).toEqual([['runs.changed', { runId: 4 }]]);
  });
});

describe('IPC adapter', () => {
  function fakeIpcMain() {
    const handlers = new Map<string, (event: { senderFrame?: { url: string } | null }, ...args: unknown[]) => unknown>();
    const ipc: IpcMainLike = { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
    return { ipc, handlers };
  }

  it('dispatches calls from the app and refuses other frames', async () => {
    const { ipc, handlers } = fakeIpcMain();
    const dispatch = vi.fn(async () => ({ ok: true as const, result: 1 }));
    registerIpc(ipc, dispatch, new EventHub(), () => []);
    const call = handlers.get(IPC_CHANNELS.call)!;
    await expect(call({ senderFrame: { url: `${APP_ORIGIN}/index.html` } }, 'runs.list', {})).resolves.toEqual({ ok: true, result: 1 });
    expect(dispatch).toHaveBeenCalledWith('runs.list', {});
    await expect(call({ senderFrame: { url: 'https://evil.example/' } }, 'runs.list', {})).resolves.toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    expect(dispatch).toHaveBeenCalledTimes(1);
  });

  it('forwards hub events to live windows and cleans up', () => {
    const { ipc, handlers } = fakeIpcMain();
    const hub = new EventHub();
    const live = { send: vi.fn(), isDestroyed: () => false };
    const dead = { send: vi.fn(), isDestroyed: () => true };
    const dispose = registerIpc(ipc, vi.fn(), hub, () => [live, dead]);
    hub.emit('runs.changed', { runId: 9 });
    expect(live.send).toHaveBeenCalledWith(IPC_CHANNELS.event, 'runs.changed', { runId: 9 });
    expect(dead.send).not.toHaveBeenCalled();
    dispose();
    expect(handlers.has(IPC_CHANNELS.call)).toBe(false);
    hub.emit('runs.changed', { runId: 10 });
    expect(live.send).toHaveBeenCalledTimes(1);
  });
});
