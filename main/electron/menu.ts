import type { MenuItemConstructorOptions } from 'electron';

/** The application menu as data (testable without Electron). DevTools only in development: a packaged app has no use for them. */
export function buildMenuTemplate(
  platform: string,
  openUrl: (url: string) => void,
  options: { devTools: boolean } = { devTools: false },
): MenuItemConstructorOptions[] {
  const template: MenuItemConstructorOptions[] = [
    { role: 'fileMenu' },
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
        { label: 'Open-metric-learning (OML) documentation', click: () => openUrl('https://open-metric-learning.readthedocs.io/') },
      ],
    },
  ];
  if (platform === 'darwin') template.unshift({ role: 'appMenu' });
  return template;
}
