import { describe, expect, it, vi } from 'vitest';
import { IPC_CHANNELS } from '../../shared/ipc';
import { EventHub } from '../../main/api/dispatch';
import { createBridge, type IpcRendererLike } from '../../main/preload/bridge';
import { registerIpc, type IpcMainLike } from '../../main/electron/ipc';
import { buildMenuTemplate, datasetRoute, type MenuActions } from '../../main/electron/menu';
import { claimSingleInstance, desktopHost, NOTIFY_AFTER_MS, RunEndNotifier } from '../../main/electron/desktop';
import { fitToScreens, readWindowState, WINDOW_STATE_FILE, writeWindowState } from '../../main/electron/window-state';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/tmp';
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

type Item = { label?: string; role?: string; enabled?: boolean; accelerator?: string; click?: () => void; submenu?: Item[] };

describe('desktop menu', () => {
  const actions = () => ({ navigate: vi.fn(), openDataset: vi.fn(), openDataFolder: vi.fn() }) satisfies MenuActions;
  const file = (t: Item[]) => t.find((m) => m.label === 'File')!.submenu!;
  const item = (items: Item[], label: string) => items.find((i) => i.label === label)!;

  it('File: new dataset opens the wizard, open dataset asks for a table, recent ones open their table, the data folder shows', () => {
    const a = actions();
    const recent = [
      { name: 'shoes', csvPath: '/d/shoes/df.csv', root: '/d/shoes' },
      { name: 'faces, 2', csvPath: '/d/f&f/df.csv', root: '/d/f&f/img' },
    ];
    const f = file(buildMenuTemplate('linux', () => {}, { devTools: false, actions: a, recent }) as Item[]);
    item(f, 'New dataset…').click!();
    expect(a.navigate).toHaveBeenLastCalledWith('/datasets/new');
    expect(item(f, 'New dataset…').accelerator).toBe('CmdOrCtrl+N');
    item(f, 'Open dataset…').click!();
    expect(a.openDataset).toHaveBeenCalledOnce();
    const opens = item(f, 'Open recent').submenu!;
    expect(opens.map((o) => o.label)).toEqual(['shoes — /d/shoes/df.csv', 'faces, 2 — /d/f&f/df.csv']);
    opens[1]!.click!();
    expect(a.navigate).toHaveBeenLastCalledWith('/datasets?csv=%2Fd%2Ff%26f%2Fdf.csv&root=%2Fd%2Ff%26f%2Fimg');
    // The route reads back to the same table and root (what the Datasets page does with it).
    const q = new URLSearchParams(datasetRoute('/d/f&f/df.csv', '/d/f&f/img').split('?')[1]);
    expect([q.get('csv'), q.get('root')]).toEqual(['/d/f&f/df.csv', '/d/f&f/img']);
    item(f, 'Show data folder').click!();
    expect(a.openDataFolder).toHaveBeenCalledOnce();
    expect(f.at(-1)!.role).toBe('quit');
  });

  it('with no recent datasets says so (disabled); macOS closes the window from File instead of quitting', () => {
    const f = file(buildMenuTemplate('darwin', () => {}, { devTools: false, actions: actions(), recent: [] }) as Item[]);
    expect(item(f, 'Open recent').submenu).toEqual([{ label: 'No recent datasets', enabled: false }]);
    expect(f.at(-1)!.role).toBe('close');
  });

  it('Help opens the About page; without actions the menu keeps Electron defaults', () => {
    const a = actions();
    const help = (buildMenuTemplate('linux', () => {}, { devTools: false, actions: a }) as Item[]).find((m) => m.role === 'help')!.submenu!;
    item(help, 'About Metric Studio').click!();
    expect(a.navigate).toHaveBeenCalledWith('/about');
    const bare = buildMenuTemplate('linux', () => {}) as Item[];
    expect(bare[0]).toEqual({ role: 'fileMenu' });
    expect(bare.find((m) => m.role === 'help')!.submenu!.some((i) => i.label === 'About Metric Studio')).toBe(false);
  });
});

describe('desktop host', () => {
  it('native pickers: folder, table or image, each with its own dialog; a cancel is null', async () => {
    const calls: unknown[] = [];
    const answers = [
      { canceled: false, filePaths: ['/a/photos'] },
      { canceled: true, filePaths: [] },
      { canceled: false, filePaths: ['/a/x.png'] },
    ];
    const host = desktopHost(
      {
        showOpenDialog: async (o) => {
          calls.push(o);
          return answers.shift()!;
        },
      },
      { openPath: async () => '' },
    );
    expect(await host.pickPath('folder')).toBe('/a/photos');
    expect(await host.pickPath('csv')).toBeNull();
    expect(await host.pickPath('image')).toBe('/a/x.png');
    expect(calls).toMatchObject([
      { properties: ['openDirectory'] },
      { properties: ['openFile'], filters: [{ extensions: ['csv', 'tsv', 'txt'] }] },
      { properties: ['openFile'], filters: [{ extensions: expect.arrayContaining(['png', 'jpg']) }] },
    ]);
  });

  it("opening a folder reports the file manager's error", async () => {
    const host = desktopHost(
      { showOpenDialog: async () => ({ canceled: true, filePaths: [] }) },
      { openPath: async (p) => (p === '/ok' ? '' : 'Failed to open') },
    );
    await expect(host.openFolder('/ok')).resolves.toBeUndefined();
    await expect(host.openFolder('/gone')).rejects.toThrow(/Could not open \/gone: Failed to open/);
  });

  it('single instance: a second launch quits; the first, on its signal, restores and focuses its window', () => {
    const second = { requestSingleInstanceLock: () => false, on: vi.fn(), quit: vi.fn() };
    expect(claimSingleInstance(second, () => null)).toBe(false);
    expect(second.quit).toHaveBeenCalledOnce();
    expect(second.on).not.toHaveBeenCalled();
    let signal: (() => void) | null = null;
    const first = { requestSingleInstanceLock: () => true, on: (_e: 'second-instance', l: () => void) => (signal = l), quit: vi.fn() };
    const win = { isMinimized: () => true, restore: vi.fn(), show: vi.fn(), focus: vi.fn() };
    let current: typeof win | null = null;
    expect(claimSingleInstance(first, () => current)).toBe(true);
    signal!(); // before the window exists: nothing to do, nothing thrown
    current = win;
    signal!();
    expect(win.restore).toHaveBeenCalledOnce();
    expect(win.focus).toHaveBeenCalledOnce();
    expect(first.quit).not.toHaveBeenCalled();
  });

  it('notifies when a run that ran a minute or more ends (finished, failed, stopped), not for short runs or other events', () => {
    const n = new RunEndNotifier();
    const t0 = 1_000_000;
    expect(n.observe({ type: 'status', runId: 1, status: 'running' }, t0)).toBeNull();
    expect(n.observe({ type: 'status', runId: 1, status: 'finished' }, t0 + NOTIFY_AFTER_MS - 1)).toBeNull();
    n.observe({ type: 'status', runId: 2, status: 'running' }, t0);
    n.observe({ type: 'status', runId: 2, status: 'running' }, t0 + 50_000); // a repeat does not restart the clock
    expect(n.observe({ type: 'metrics', runId: 2 }, t0 + 200_000)).toBeNull();
    expect(n.observe({ type: 'status', runId: 2, status: 'finished' }, t0 + 5 * 60_000)).toEqual({
      title: 'Run 2 finished',
      body: 'Training ended after 5 min. Open Runs to see its metrics.',
    });
    n.observe({ type: 'status', runId: 3, status: 'running' }, t0);
    expect(n.observe({ type: 'status', runId: 3, status: 'failed', error: 'out of memory' }, t0 + 61_000)).toEqual({
      title: 'Run 3 failed',
      body: 'out of memory (after 1 min)',
    });
    n.observe({ type: 'status', runId: 4, status: 'running' }, t0);
    expect(n.observe({ type: 'status', runId: 4, status: 'stopped' }, t0 + 120_000)!.title).toBe('Run 4 stopped');
    // An end without a start seen here (the app opened mid-run) says nothing.
    expect(n.observe({ type: 'status', runId: 9, status: 'finished' }, t0 + 1e7)).toBeNull();
  });
});

describe('window state', () => {
  it('round-trips through the data folder; a damaged or absent file is a first launch', () => {
    const { dir, cleanup } = tempDir('ms-winstate-');
    try {
      expect(readWindowState(dir)).toBeNull();
      writeWindowState(dir, { width: 1400, height: 900, x: 40, y: 30, maximized: true });
      expect(readWindowState(dir)).toEqual({ width: 1400, height: 900, x: 40, y: 30, maximized: true });
      expect(existsSync(path.join(dir, `${WINDOW_STATE_FILE}.tmp`))).toBe(false);
      writeFileSync(path.join(dir, WINDOW_STATE_FILE), '{"width": 1400, "hei');
      expect(readWindowState(dir)).toBeNull();
      writeFileSync(path.join(dir, WINDOW_STATE_FILE), '{"width": -5, "height": 900}');
      expect(readWindowState(dir)).toBeNull();
    } finally {
      cleanup();
    }
  });

  it('opens where it was if that is still on a screen, centred if not, never larger than the largest screen', () => {
    const screens = [
      { x: 0, y: 0, width: 1920, height: 1080 },
      { x: 1920, y: 0, width: 1280, height: 1024 },
    ];
    expect(fitToScreens({ width: 1200, height: 800, x: 2000, y: 50, maximized: false }, screens)).toEqual({
      x: 2000,
      y: 50,
      width: 1200,
      height: 800,
    });
    // Its screen was unplugged: no place, so Electron centres it.
    expect(fitToScreens({ width: 1200, height: 800, x: 3500, y: 50, maximized: false }, screens)).toEqual({ width: 1200, height: 800 });
    expect(fitToScreens({ width: 1200, height: 800, x: 100, y: -500, maximized: false }, screens)).toEqual({ width: 1200, height: 800 });
    expect(fitToScreens({ width: 5000, height: 3000, maximized: false }, screens)).toEqual({ width: 1920, height: 1080 });
  });
});
