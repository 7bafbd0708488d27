import type { MenuItemConstructorOptions } from 'electron';

/** The application menu as data (testable without Electron). */
export function buildMenuTemplate(platform: string, openUrl: (url: string) => void): MenuItemConstructorOptions[] {
  const template: MenuItemConstructorOptions[] = [
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'toggleDevTools' },
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
