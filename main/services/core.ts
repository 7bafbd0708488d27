import { createDispatcher, EventHub, type Dispatch } from '../api/dispatch';
import { RunStore } from '../store/runs';
import { createHandlers } from './handlers';

export interface Core {
  dataDir: string;
  store: RunStore;
  hub: EventHub;
  dispatch: Dispatch;
  close(): Promise<void>;
}

/** Opens the run store and wires services to one dispatcher: what Electron main and `serve` both start. */
export async function startCore(dataDir: string, transport: 'ipc' | 'web', log: (msg: string) => void = console.error): Promise<Core> {
  const store = await RunStore.open(dataDir);
  const hub = new EventHub();
  const dispatch = createDispatcher(createHandlers({ dataDir, store, transport }), log);
  return { dataDir, store, hub, dispatch, close: () => store.close() };
}
