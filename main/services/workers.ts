import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fromWorker } from '../engine/worker-messages';
import type { WorkerHandle, WorkerRequest } from '../engine/worker-protocol';

/** Starts a worker process under plain Node, loading the TypeScript sources through tsx (CLI, web mode, tests). */
export function forkNodeWorker(): WorkerHandle {
  const entry = fileURLToPath(new URL('../engine/worker.ts', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  // 'advanced' (structured clone): a diverging run's NaN and Infinity arrive as numbers, where JSON made them null.
  const child = fork(entry, [], { execArgv: ['--import', tsx], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  return {
    pid: child.pid,
    send: (m: WorkerRequest) => void child.send(m),
    onMessage: (l) =>
      child.on(
        'message',
        fromWorker(l, () => child.kill('SIGKILL')),
      ),
    onExit: (l) => child.on('exit', (code) => l(code)),
    kill: () => void child.kill('SIGKILL'),
  };
}

export type SpawnWorker = () => WorkerHandle;
