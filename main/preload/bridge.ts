import type { BridgeSurface } from '../../shared/api';
import { IPC_CHANNELS } from '../../shared/ipc';

/** The slice of Electron's ipcRenderer the preload needs. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/**
 * What the preload exposes as `window.metricStudio`: two functions, nothing of ipcRenderer itself (the page
 * must not be able to send on arbitrary channels).
 */
export function createBridge(ipc: IpcRendererLike): BridgeSurface {
  return Object.freeze({
    invoke: (method: string, input: unknown) => ipc.invoke(IPC_CHANNELS.call, String(method), input) as ReturnType<BridgeSurface['invoke']>,
    subscribe: (listener: (event: string, payload: unknown) => void) => {
      const wrapped = (_e: unknown, name: unknown, payload: unknown) => listener(String(name), payload);
      ipc.on(IPC_CHANNELS.event, wrapped);
      return () => {
        ipc.removeListener(IPC_CHANNELS.event, wrapped);
      };
    },
  });
}
