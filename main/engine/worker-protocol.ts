import type { BackendName, BackendReport } from '../../shared/schemas/engine';
import type { TrainEvent } from '../../shared/schemas/events';
import type { ZooNormalisation } from '../../shared/schemas/zoo';
import type { QualityOptions, QualityReport } from '../quality/report';

/** What to embed with: a trained checkpoint folder, an installed zoo model's folder, or raw pixels (the baseline). */
export type EmbedModel = { kind: 'checkpoint'; dir: string } | { kind: 'zoo'; key: string; dir: string } | { kind: 'raw-pixels' };

/**
 * What to embed: a dataset's validation rows — or every row, `all` (the data-quality report) — with boxes cropped as
 * in training, or image files as they are.
 */
export type EmbedTarget = { kind: 'dataset'; csv: string; root?: string; all?: boolean } | { kind: 'files'; files: string[] };

export interface EmbedRequest {
  model: EmbedModel;
  target: EmbedTarget;
  /** Where the worker writes the embeddings file (retrieval/embedding-file.ts). */
  out: string;
  bs: number;
  backend: 'auto' | BackendName;
}

export interface EmbedResult {
  file: string;
  count: number;
  dim: number;
  /** Which model made the vectors, for people. */
  model: string;
  backend: string | null;
}

/** Supervisor → worker. A worker process does one job: a training run, an embedding job, or a backend probe. */
export type WorkerRequest =
  | { type: 'start'; runId: number; configYaml: string; baseDir: string; outDir: string; resume: boolean; dataDir: string }
  | { type: 'stop' }
  | { type: 'embed'; jobId: string; request: EmbedRequest }
  | { type: 'project'; jobId: string; request: ProjectRequest }
  | { type: 'import'; jobId: string; request: ImportRequest }
  | { type: 'quality'; jobId: string; request: QualityRequest }
  | { type: 'probe' };

/** The data-quality report of a dataset from the embeddings of all its rows (an embeddings file keyed by row index). */
export interface QualityRequest {
  csv: string;
  root?: string;
  file: string;
  /** Neighbours per row. */
  k: number;
  options: QualityOptions;
}

/** A model of the user's own to check (it loads and embeds) and install in the zoo folder of `dataDir`. */
export interface ImportRequest {
  src: string;
  dataDir: string;
  key: string;
  name?: string;
  normalisation?: ZooNormalisation;
  inputSize?: number;
}

/** A 2-D UMAP layout of the vectors in an embeddings file (retrieval/umap.ts): CPU work kept off the UI's process. */
export interface ProjectRequest {
  file: string;
  seed: number;
}

/** Worker → supervisor for embedding jobs and probes. */
export type JobMessage =
  | { type: 'job-progress'; jobId: string; done: number; total: number }
  | { type: 'job-done'; jobId: string; result: EmbedResult }
  | { type: 'job-failed'; jobId: string; message: string }
  | { type: 'projection-result'; jobId: string; xy: number[] }
  | { type: 'import-result'; jobId: string; key: string; inputSize: number; embeddingDim: number }
  | { type: 'quality-result'; jobId: string; report: QualityReport }
  | { type: 'probe-result'; report: BackendReport };

/** Worker → supervisor: a training run's events (then exactly one final `status`), or a job's messages. */
export type WorkerMessage = TrainEvent | JobMessage;

const JOB_TYPES = new Set<string>([
  'job-progress',
  'job-done',
  'job-failed',
  'projection-result',
  'import-result',
  'quality-result',
  'probe-result',
]);
export const isJobMessage = (m: WorkerMessage): m is JobMessage => JOB_TYPES.has(m.type);

/** A worker process, whatever started it (child_process in the CLI and web mode, utilityProcess in Electron). */
export interface WorkerHandle {
  readonly pid: number | undefined;
  send(message: WorkerRequest): void;
  onMessage(listener: (message: WorkerMessage) => void): void;
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}
