/**
 * The worker's side of its channel to the supervisor: Electron's utilityProcess (process.parentPort) or a forked
 * Node process (process.send). `exit` leaves only once every message sent has been handed to the channel.
 */
import { parseWorkerRequest } from './worker-messages';
import type { WorkerMessage, WorkerRequest } from './worker-protocol';

export type Port = {
  send(message: WorkerMessage): void;
  onMessage(listener: (message: WorkerRequest) => void): void;
  exit(code: number): void;
};

/** A request parsed before the job sees it; a malformed one ends this worker with the reason on stderr. */
function received(m: unknown, listener: (message: WorkerRequest) => void): void {
  let request: WorkerRequest;
  try {
    request = parseWorkerRequest(m);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
  listener(request);
}

export function port(): Port {
  // Electron's utilityProcess exposes process.parentPort; child_process.fork gives process.send.
  const parentPort = (
    process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', l: (e: { data: unknown }) => void): void } }
  ).parentPort;
  if (parentPort) {
    return {
      send: (m) => parentPort.postMessage(m),
      onMessage: (l) => parentPort.on('message', (e) => received(e.data, l)),
      exit: (c) => process.exit(c),
    };
  }
  if (!process.send) throw new Error('The worker must be started by a supervisor (no IPC channel)');
  // Sends are asynchronous: a result of megabytes (a quality report, a last batch of metrics) is still being written
  // to the channel when the job ends, and exiting then loses it. Each send is tracked until Node has handed it over.
  const inFlight = new Set<Promise<void>>();
  // The supervisor is gone (killed, crashed): nobody will read, stop or resume this job's process but a new one, and
  // a training worker left running would write into the run folder beside it. What it logged is in its journal.
  process.on('disconnect', () => process.exit(1));
  return {
    send: (m) => {
      const sent = new Promise<void>((resolve) => process.send!(m, undefined, undefined, () => resolve()));
      inFlight.add(sent);
      void sent.then(() => inFlight.delete(sent));
    },
    onMessage: (l) => process.on('message', (m) => received(m, l)),
    exit: (c) => void Promise.all(inFlight).then(() => process.exit(c)),
  };
}
