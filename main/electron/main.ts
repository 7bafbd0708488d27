// Electron main process: window, menu, the app:// protocol, and the IPC transport. No service logic here.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { app, BrowserWindow, ipcMain, Menu, protocol, shell, session } from 'electron';
import { startCore } from '../services/core';
import { appRoot, PRODUCT_NAME, DATA_DIR_ENV } from '../paths';
import { CONTENT_SECURITY_POLICY } from '../security';
import { registerIpc } from './ipc';
import { APP_ORIGIN, APP_SCHEME, denyPermissions, guardNavigation, type SessionLike, type WebContentsLike, windowOptions } from './window';
import { buildMenuTemplate } from './menu';
import { forkUtilityWorker } from './worker';
import { contentTypeOf, resolveStaticFile } from '../api/static-files';

app.setName(PRODUCT_NAME);
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

async function main(): Promise<void> {
  await app.whenReady();
  const dataDir = process.env[DATA_DIR_ENV] ?? app.getPath('userData');
  const core = await startCore(dataDir, 'ipc', console.error, () => forkUtilityWorker(path.join(__dirname, '..', 'worker.cjs')));
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

  const dispose = registerIpc(ipcMain, core.dispatch, core.hub, () => BrowserWindow.getAllWindows().map((w) => w.webContents));
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(buildMenuTemplate(process.platform, (url) => void shell.openExternal(url), { devTools: !app.isPackaged })),
  );

  const win = new BrowserWindow(windowOptions(path.join(__dirname, 'preload.cjs')));
  guardNavigation(win.webContents as unknown as WebContentsLike);
  win.once('ready-to-show', () => win.show());
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
