// The training worker: one process per run, so training never blocks the app. It receives one `start`, streams
// TrainEvents back, honours `stop` at the next step, and ends with a final status event.
import YAML from 'yaml';
import type { TrainEvent } from '../../shared/schemas/events';
import { parseTrainConfig } from './train/config-file';
import { train } from './train/trainer';
import type { WorkerRequest } from './worker-protocol';

type Port = { send(message: TrainEvent): void; onMessage(listener: (message: WorkerRequest) => void): void; exit(code: number): void };

function port(): Port {
  // Electron's utilityProcess exposes process.parentPort; child_process.fork gives process.send.
  const parentPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', l: (e: { data: unknown }) => void): void } }).parentPort;
  if (parentPort) {
    return { send: (m) => parentPort.postMessage(m), onMessage: (l) => parentPort.on('message', (e) => l(e.data as WorkerRequest)), exit: (c) => process.exit(c) };
  }
  if (!process.send) throw new Error('The training worker must be started by the supervisor (no IPC channel)');
  return {
    send: (m) => process.send!(m),
    onMessage: (l) => process.on('message', (m) => l(m as WorkerRequest)),
    // Let queued IPC messages flush before leaving.
    exit: (c) => setTimeout(() => process.exit(c), 50),
  };
}

const p = port();
let stopRequested = false;
let started = false;

p.onMessage(async (msg) => {
  if (msg.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (started) return;
  started = true;
  const { runId } = msg;
  try {
    const config = parseTrainConfig(YAML.parse(msg.configYaml), 'config');
    p.send({ type: 'status', runId, status: 'running' });
    const result = await train({ config, baseDir: msg.baseDir, outDir: msg.outDir, runId, resume: msg.resume, emit: (e) => p.send(e), shouldStop: () => stopRequested });
    p.send({ type: 'status', runId, status: result.status });
    p.exit(0);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    p.send({ type: 'log', runId, level: 'error', message: err instanceof Error && err.stack ? err.stack : message });
    p.send({ type: 'status', runId, status: 'failed', error: message });
    p.exit(1);
  }
});
