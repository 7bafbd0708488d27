import type { MenuItemConstructorOptions } from 'electron';

/** What the menu's own items do; main.ts gives them the picker, the page's router and the file manager. */
export interface MenuActions {
  /** Show one of the page's routes (hash path, e.g. "/datasets/new"). */
  navigate(path: string): void;
  /** Ask for a dataset table in the system picker and open it. */
  openDataset(): void;
  openDataFolder(): void;
}

export interface RecentDataset {
  name: string;
  csvPath: string;
  root: string;
}

/** The Datasets page showing one table: what File → Open dataset and Open recent navigate to. */
export function datasetRoute(csvPath: string, root?: string): string {
  return `/datasets?csv=${encodeURIComponent(csvPath)}${root ? `&root=${encodeURIComponent(root)}` : ''}`;
}

/** At most this many recent datasets in File → Open recent. */
export const MENU_RECENT = 8;

function fileMenu(platform: string, actions: MenuActions, recent: readonly RecentDataset[]): MenuItemConstructorOptions {
  return {
    label: 'File',
    submenu: [
      { label: 'New dataset…', accelerator: 'CmdOrCtrl+N', click: () => actions.navigate('/datasets/new') },
      { label: 'Open dataset…', accelerator: 'CmdOrCtrl+O', click: () => actions.openDataset() },
      {
        label: 'Open recent',
        submenu: recent.length
          ? recent
              .slice(0, MENU_RECENT)
              .map((d) => ({ label: `${d.name} — ${d.csvPath}`, click: () => actions.navigate(datasetRoute(d.csvPath, d.root)) }))
          : [{ label: 'No recent datasets', enabled: false }],
      },
      { type: 'separator' },
      { label: 'Show data folder', click: () => actions.openDataFolder() },
      { type: 'separator' },
      platform === 'darwin' ? { role: 'close' } : { role: 'quit' },
    ],
  };
}

/**
 * The application menu as data (testable without Electron). DevTools only in development: a packaged app has no
 * use for them. Without actions (a bare window) File is Electron's default.
 */
export function buildMenuTemplate(
  platform: string,
  openUrl: (url: string) => void,
  options: { devTools: boolean; actions?: MenuActions; recent?: readonly RecentDataset[] } = { devTools: false },
): MenuItemConstructorOptions[] {
  const { actions } = options;
  const template: MenuItemConstructorOptions[] = [
    actions ? fileMenu(platform, actions, options.recent ?? []) : { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        ...(options.devTools ? [{ role: 'toggleDevTools' } as const] : []),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        ...(actions ? [{ label: 'About Metric Studio', click: () => actions.navigate('/about') }, { type: 'separator' } as const] : []),
        { label: 'Open-metric-learning (OML) documentation', click: () => openUrl('https://open-metric-learning.readthedocs.io/') },
      ],
    },
  ];
  if (platform === 'darwin') template.unshift({ role: 'appMenu' });
  return template;
}
