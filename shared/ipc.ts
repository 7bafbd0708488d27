/** Electron IPC channel names. Dependency-free: the sandboxed preload bundles this file alone. */
export const IPC_CHANNELS = { call: 'metric-studio:call', event: 'metric-studio:event' } as const;
