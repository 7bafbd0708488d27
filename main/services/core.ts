import { createDispatcher, EventHub, type Dispatch } from '../api/dispatch';
import { RunStore } from '../store/runs';
import { createHandlers } from './handlers';
import { FileAccess } from './file-access';
import path from 'node:path';
import { TrainingSupervisor } from './training';
import { forkNodeWorker } from './workers';
import { WorkerJobs } from './embedding';
import { EmbeddingSets } from './embedding-sets';
import { Explorer } from './explorer';
import { ZooService } from './zoo';
import { WizardService } from './wizard';
import type { WorkerHandle } from '../engine/worker-protocol';
import type { DesktopHost } from './desktop-host';

export interface Core {
  dataDir: string;
  store: RunStore;
  hub: EventHub;
  dispatch: Dispatch;
  training: TrainingSupervisor;
  close(): Promise<void>;
}

/** Opens the run store and wires services to one dispatcher: what Electron main and `serve` both start. */
export async function startCore(
  dataDir: string,
  transport: 'ipc' | 'web',
  log: (msg: string) => void = console.error,
  spawnWorker: () => WorkerHandle = forkNodeWorker,
  desktop?: DesktopHost,
): Promise<Core> {
  const store = await RunStore.open(dataDir);
  const hub = new EventHub();
  const training = new TrainingSupervisor(store, hub, dataDir, spawnWorker);
  const wizard = new WizardService(hub, store);
  const jobs = new WorkerJobs(path.join(dataDir, 'cache', 'embeddings'), hub, spawnWorker);
  const sets = new EmbeddingSets(store, path.join(dataDir, 'embeddings'));
  const explorer = new Explorer(jobs, sets);
  const zoo = new ZooService(dataDir, hub);
  const dispatch = createDispatcher(
    createHandlers({
      dataDir,
      store,
      transport,
      desktop,
      training,
      wizard,
      jobs,
      sets,
      explorer,
      zoo,
      files: new FileAccess(store, wizard),
    }),
    log,
  );
  return {
    dataDir,
    store,
    hub,
    dispatch,
    training,
    close: async () => {
      jobs.shutdown();
      zoo.shutdown();
      await training.shutdown();
      await store.close();
    },
  };
}
