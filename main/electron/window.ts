import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The hardened window: the page runs sandboxed with context isolation and no Node; it reaches main only
 * through the preload's `window.metricStudio` bridge. Kept a pure function so tests can assert every flag.
 */
export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Metric Studio',
    show: false,
    backgroundColor: '#0f172a',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** The custom scheme the renderer is served from (not file://, so CSP and origin checks are meaningful). */
export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://renderer`;

/** Only our own pages may call the API. */
export function isTrustedSender(url: string | undefined): boolean {
  if (!url) return false;
  try {
    return new URL(url).origin === APP_ORIGIN || url.startsWith(`${APP_ORIGIN}/`);
  } catch {
    return false;
  }
}

type NavigationListener = (event: { preventDefault(): void }, url: string) => void;
export interface WebContentsLike {
  on(event: 'will-navigate' | 'will-redirect', listener: NavigationListener): unknown;
  setWindowOpenHandler(handler: () => { action: 'deny' }): void;
}

/**
 * The page may only show our own pages: a link, a form, a script or a server redirect that leads elsewhere is
 * stopped (the origin is compared whole: "app://rendererevil" is not "app://renderer"), and no new window opens.
 */
export function guardNavigation(wc: WebContentsLike): void {
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  const stayHome: NavigationListener = (event, url) => {
    if (!isTrustedSender(url)) event.preventDefault();
  };
  wc.on('will-navigate', stayHome);
  wc.on('will-redirect', stayHome);
}

export interface SessionLike {
  setPermissionRequestHandler(handler: (wc: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (wc: unknown, permission: string) => boolean): void;
}

/** No camera, microphone, notifications prompt, geolocation, …: the app needs none, so requests and checks both say no. */
export function denyPermissions(session: SessionLike): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
