import { utilityProcess } from 'electron';
import { fromWorker } from '../engine/worker-messages';
import type { WorkerHandle } from '../engine/worker-protocol';

/** The training worker as an Electron utility process (its own OS process, not the main thread). */
export function forkUtilityWorker(bundle: string): WorkerHandle {
  const child = utilityProcess.fork(bundle, [], { serviceName: 'Metric Studio training', stdio: 'inherit' });
  return {
    get pid() {
      return child.pid;
    },
    send: (m) => child.postMessage(m),
    onMessage: (l) =>
      child.on(
        'message',
        fromWorker(l, () => void child.kill()),
      ),
    onExit: (l) => child.on('exit', (code) => l(code)),
    kill: () => void child.kill(),
  };
}
