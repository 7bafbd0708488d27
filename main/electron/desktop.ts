// What only the desktop app can do for the page — a native file or folder picker, opening a folder in the file
// manager, notifications, one instance — behind small interfaces so the wiring tests can pass fakes.
import { IMAGE_EXTENSIONS } from '../dataset/image-files';
import type { DesktopHost, PickKind } from '../services/desktop-host';

/** The slice of Electron's open-dialog options the pickers use. */
interface PickerOptions {
  title: string;
  properties: ('openFile' | 'openDirectory')[];
  filters?: { name: string; extensions: string[] }[];
}

export interface DialogLike {
  showOpenDialog(options: PickerOptions): Promise<{ canceled: boolean; filePaths: string[] }>;
}
export interface ShellLike {
  openPath(path: string): Promise<string>;
}

const PICKERS: Record<PickKind, PickerOptions> = {
  folder: { title: 'Choose a folder', properties: ['openDirectory'] },
  csv: {
    title: 'Open a dataset table',
    properties: ['openFile'],
    filters: [{ name: 'Dataset tables', extensions: ['csv', 'tsv', 'txt'] }],
  },
  image: {
    title: 'Choose an image',
    properties: ['openFile'],
    filters: [{ name: 'Images', extensions: [...IMAGE_EXTENSIONS].map((e) => e.slice(1)) }],
  },
};

/** The native pickers and the file manager, as the services' DesktopHost. */
export function desktopHost(dialog: DialogLike, shell: ShellLike): DesktopHost {
  return {
    async pickPath(kind) {
      const r = await dialog.showOpenDialog(PICKERS[kind]);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    async openFolder(folder) {
      const error = await shell.openPath(folder);
      if (error) throw new Error(`Could not open ${folder}: ${error}`);
    },
  };
}

export interface SingleInstanceApp {
  requestSingleInstanceLock(): boolean;
  on(event: 'second-instance', listener: () => void): unknown;
  quit(): void;
}
export interface FocusableWindow {
  isMinimized(): boolean;
  restore(): void;
  show(): void;
  focus(): void;
}

/**
 * One instance: a second launch hands over to the first (which comes to the front) and quits. Two instances would
 * run two training queues on one run store. Returns whether this process is the one that stays.
 */
export function claimSingleInstance(app: SingleInstanceApp, window: () => FocusableWindow | null): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', () => {
    const w = window();
    if (!w) return;
    if (w.isMinimized()) w.restore();
    w.show();
    w.focus();
  });
  return true;
}

/** A run's end, worth a notification when it ran long enough that the user has likely looked away. */
export interface RunNotice {
  title: string;
  body: string;
}

export const NOTIFY_AFTER_MS = 60_000;

type StatusEvent = { type: string; runId?: number; status?: string; error?: string };

/**
 * Watches training events and says when a run that ran at least NOTIFY_AFTER_MS has finished, failed or stopped.
 * A run is timed from its first 'running' status seen here.
 */
export class RunEndNotifier {
  private readonly started = new Map<number, number>();

  observe(event: StatusEvent, now: number): RunNotice | null {
    if (event.type !== 'status' || event.runId === undefined) return null;
    if (event.status === 'running') {
      if (!this.started.has(event.runId)) this.started.set(event.runId, now);
      return null;
    }
    const since = this.started.get(event.runId);
    if (since === undefined || !['finished', 'failed', 'stopped'].includes(event.status ?? '')) return null;
    this.started.delete(event.runId);
    if (now - since < NOTIFY_AFTER_MS) return null;
    const minutes = Math.round((now - since) / 60_000);
    const took = minutes >= 1 ? `after ${minutes} min` : 'after a minute';
    if (event.status === 'finished')
      return { title: `Run ${event.runId} finished`, body: `Training ended ${took}. Open Runs to see its metrics.` };
    if (event.status === 'failed')
      return { title: `Run ${event.runId} failed`, body: `${event.error ?? 'See its log for the reason.'} (${took})` };
    return { title: `Run ${event.runId} stopped`, body: `Stopped ${took}; it can be resumed from its last checkpoint.` };
  }
}
