// The main window's size, place and maximised state, kept in the data folder between launches. Pure reading and
// fitting (no Electron import) so the wiring tests can run them; main.ts feeds them Electron's window and screens.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const WindowState = z.object({
  width: z.number().int().min(200).max(20_000),
  height: z.number().int().min(200).max(20_000),
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  maximized: z.boolean().default(false),
});
export type WindowState = z.output<typeof WindowState>;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const WINDOW_STATE_FILE = 'window-state.json';

/** The saved state, or null when there is none or it is damaged (a first launch then: default size, centred). */
export function readWindowState(dataDir: string): WindowState | null {
  try {
    const parsed = WindowState.safeParse(JSON.parse(readFileSync(path.join(dataDir, WINDOW_STATE_FILE), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Written whole through a temporary file, so a crash mid-write leaves the previous state. */
export function writeWindowState(dataDir: string, state: WindowState): void {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, WINDOW_STATE_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(WindowState.parse(state)));
  renameSync(`${file}.tmp`, file);
}

/**
 * The bounds to open with: the saved size (shrunk to fit the largest screen) at the saved place if enough of the
 * window (its title bar's first 100 × 40 px) lies on a screen now — a monitor may have been unplugged — else no
 * place, so the window opens centred.
 */
export function fitToScreens(state: WindowState, workAreas: readonly Rect[]): Partial<Rect> & { width: number; height: number } {
  const maxW = Math.max(...workAreas.map((a) => a.width), 200);
  const maxH = Math.max(...workAreas.map((a) => a.height), 200);
  const width = Math.min(state.width, maxW);
  const height = Math.min(state.height, maxH);
  if (state.x === undefined || state.y === undefined) return { width, height };
  const { x, y } = state;
  const visible = workAreas.some((a) => x + 100 > a.x && x < a.x + a.width - 100 && y >= a.y && y + 40 <= a.y + a.height);
  return visible ? { x, y, width, height } : { width, height };
}
