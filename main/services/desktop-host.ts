/**
 * What the desktop shell offers the services beyond web mode: native pickers and the file manager. Electron's
 * main process supplies it (main/electron/desktop.ts); web mode has none, and the methods that need it say so.
 */
export type PickKind = 'folder' | 'csv' | 'image';

export interface DesktopHost {
  /** The chosen path, or null when the user cancelled. */
  pickPath(kind: PickKind): Promise<string | null>;
  openFolder(folder: string): Promise<void>;
}
