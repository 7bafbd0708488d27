import type { TrainEvent } from '../../shared/schemas/events';

/** Supervisor → worker. */
export type WorkerRequest =
  | { type: 'start'; runId: number; configYaml: string; baseDir: string; outDir: string; resume: boolean }
  | { type: 'stop' };

/** Worker → supervisor: the train events, then exactly one `status` with a final state. */
export type WorkerMessage = TrainEvent;

/** A training process, whatever started it (child_process in the CLI and web mode, utilityProcess in Electron). */
export interface WorkerHandle {
  readonly pid: number | undefined;
  send(message: WorkerRequest): void;
  onMessage(listener: (message: WorkerMessage) => void): void;
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}
