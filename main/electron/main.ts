// Electron main process: window, menu, the app:// protocol, and the IPC transport. No service logic here.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, Notification, protocol, screen, shell, session } from 'electron';
import { startCore } from '../services/core';
import { appRoot, PRODUCT_NAME, DATA_DIR_ENV } from '../paths';
import { CONTENT_SECURITY_POLICY } from '../security';
import { registerIpc } from './ipc';
import { APP_ORIGIN, APP_SCHEME, denyPermissions, guardNavigation, type SessionLike, type WebContentsLike, windowOptions } from './window';
import { buildMenuTemplate, datasetRoute, MENU_RECENT } from './menu';
import { forkUtilityWorker } from './worker';
import { contentTypeOf, resolveStaticFile } from '../api/static-files';
import { claimSingleInstance, desktopHost, RunEndNotifier } from './desktop';
import { fitToScreens, readWindowState, writeWindowState } from './window-state';

app.setName(PRODUCT_NAME);
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let win: BrowserWindow | null = null;
/** Requests after which the recent datasets may have changed (File → Open recent is rebuilt). */
const OPENS_A_DATASET = new Set(['datasets.inspect', 'train.start', 'wizard.write']);

async function main(): Promise<void> {
  if (!claimSingleInstance(app, () => win)) return;
  await app.whenReady();
  const dataDir = process.env[DATA_DIR_ENV] ?? app.getPath('userData');
  const host = desktopHost(dialog, shell);
  const core = await startCore(dataDir, 'ipc', console.error, () => forkUtilityWorker(path.join(__dirname, '..', 'worker.cjs')), host);
  const rendererDir = path.join(appRoot(), 'dist', 'renderer');

  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveStaticFile(rendererDir, new URL(request.url).pathname);
    if (!file) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(body, { headers: { 'content-type': contentTypeOf(file), 'content-security-policy': CONTENT_SECURITY_POLICY } });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
  denyPermissions(session.defaultSession as unknown as SessionLike);

  const navigate = (to: string) => core.hub.emit('app.navigate', { path: to });
  const actions = {
    navigate,
    openDataset: () =>
      void host.pickPath('csv').then((csv) => {
        if (csv) navigate(datasetRoute(csv));
      }),
    openDataFolder: () => void host.openFolder(dataDir).catch((err) => dialog.showErrorBox('Metric Studio', String(err))),
  };
  const refreshMenu = async () => {
    const recent = await core.store.recentDatasets(MENU_RECENT);
    for (const d of recent) app.addRecentDocument(d.csvPath);
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        buildMenuTemplate(process.platform, (url) => void shell.openExternal(url), { devTools: !app.isPackaged, actions, recent }),
      ),
    );
  };
  await refreshMenu();
  const dispatch: typeof core.dispatch = (method, input) =>
    core.dispatch(method, input).finally(() => {
      if (typeof method === 'string' && OPENS_A_DATASET.has(method)) void refreshMenu();
    });
  const dispose = registerIpc(ipcMain, dispatch, core.hub, () => BrowserWindow.getAllWindows().map((w) => w.webContents));

  // A long run's end, told by the system while the user is elsewhere.
  const notifier = new RunEndNotifier();
  core.hub.subscribe((name, payload) => {
    if (name !== 'train.events') return;
    const notice = notifier.observe(payload as { type: string }, Date.now());
    if (notice && Notification.isSupported()) new Notification(notice).show();
  });

  const saved = readWindowState(dataDir);
  win = new BrowserWindow({
    ...windowOptions(path.join(__dirname, 'preload.cjs')),
    ...(saved
      ? fitToScreens(
          saved,
          screen.getAllDisplays().map((d) => d.workArea),
        )
      : {}),
  });
  if (saved?.maximized) win.maximize();
  win.on('close', () => {
    if (win) writeWindowState(dataDir, { ...win.getNormalBounds(), maximized: win.isMaximized() });
  });
  guardNavigation(win.webContents as unknown as WebContentsLike);
  win.once('ready-to-show', () => win?.show());
  await win.loadURL(`${APP_ORIGIN}/index.html`);

  app.on('window-all-closed', () => {
    dispose();
    void core.close().finally(() => app.quit());
  });
}

main().catch((err) => {
  console.error(err);
  app.exit(1);
});
