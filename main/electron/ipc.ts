import { IPC_CHANNELS } from '../../shared/api';
import type { Dispatch, EventHub } from '../api/dispatch';
import { isTrustedSender } from './window';

/** The slice of Electron's ipcMain the adapter needs (so tests can pass a fake). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame?: { url: string } | null }, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}
export interface WebContentsLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

/**
 * Electron transport: one invoke channel carries every contract call into the shared dispatcher; one
 * channel pushes every event out. Calls from frames that are not our app are refused.
 */
export function registerIpc(ipcMain: IpcMainLike, dispatch: Dispatch, hub: EventHub, targets: () => WebContentsLike[]): () => void {
  ipcMain.handle(IPC_CHANNELS.call, async (event, method, input) => {
    if (!isTrustedSender(event.senderFrame?.url)) {
      return { ok: false, error: { code: 'unauthorized', message: 'API calls are only accepted from the Metric Studio window' } };
    }
    return dispatch(method, input);
  });
  const unsubscribe = hub.subscribe((name, payload) => {
    for (const wc of targets()) if (!wc.isDestroyed()) wc.send(IPC_CHANNELS.event, name, payload);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(IPC_CHANNELS.call);
  };
}
