import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { BackendReport } from '../../shared/schemas/engine';
import type { JobProgress } from '../../shared/schemas/events';
import type { EventHub } from '../api/dispatch';
import { type EmbeddingFileHeader, readEmbeddingFile, writeEmbeddingFile } from '../retrieval/embedding-file';
import type { Embeddings } from '../retrieval/knn';
import type { QualityReport } from '../quality/report';
import {
  type EmbedModel,
  type EmbedTarget,
  type ImportRequest,
  type QualityRequest,
  isJobMessage,
  type JobMessage,
  type WorkerHandle,
  type WorkerRequest,
} from '../engine/worker-protocol';
import { forkNodeWorker, type SpawnWorker } from './workers';

export interface EmbeddingSet {
  header: EmbeddingFileHeader;
  embeddings: Embeddings;
  backend: string | null;
}

/** A job's failure as the worker reported it (a missing checkpoint, an unreadable image, …). */
export class EmbeddingJobError extends Error {}

/** Progress events are sent at most this often per job (the last one always goes). */
const PROGRESS_EVERY_MS = 150;

/**
 * Runs embedding jobs and backend probes in worker processes — never TensorFlow.js in this process, which may be
 * Electron's main process with a window to keep responsive — and reports their progress on the event hub.
 */
export class WorkerJobs {
  private readonly live = new Set<WorkerHandle>();
  private probe: Promise<BackendReport> | null = null;

  constructor(
    private readonly cacheDir: string,
    private readonly hub: EventHub | null = null,
    private readonly spawnWorker: SpawnWorker = forkNodeWorker,
  ) {}

  /** Embeds a target with a model in a worker; resolves to the vectors (read from the file the worker wrote). */
  async embed(
    model: EmbedModel,
    target: EmbedTarget,
    label: string,
    onProgress?: (done: number, total: number) => void,
    bs = 256,
  ): Promise<EmbeddingSet> {
    mkdirSync(this.cacheDir, { recursive: true });
    const jobId = randomUUID();
    const out = path.join(this.cacheDir, `${jobId}.emb`);
    let last = 0;
    const report = (p: Omit<JobProgress, 'jobId' | 'label'>) => {
      const now = Date.now();
      if (p.state === 'running' && p.done < p.total && now - last < PROGRESS_EVERY_MS) return;
      last = now;
      this.hub?.emit('jobs.progress', { jobId, label, ...p });
    };
    report({ done: 0, total: 0, state: 'running' });
    try {
      const result = await this.run({ type: 'embed', jobId, request: { model, target, out, bs, backend: 'auto' } }, (m) => {
        if (m.type === 'job-progress') {
          onProgress?.(m.done, m.total);
          report({ done: m.done, total: m.total, state: 'running' });
        }
      });
      if (result.type !== 'job-done')
        throw new EmbeddingJobError(result.type === 'job-failed' ? result.message : 'The embedding worker gave no result');
      const { header, embeddings } = await readEmbeddingFile(out);
      report({ done: header.count, total: header.count, state: 'done' });
      return { header, embeddings, backend: result.result.backend };
    } catch (err) {
      report({ done: 0, total: 0, state: 'failed', message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      await rm(out, { force: true });
    }
  }

  /**
   * A 2-D UMAP layout of these vectors (n × 2), computed in a worker: UMAP takes tens of seconds on thousands of
   * items, which would stall every other request in this process. Progress is per optimisation epoch.
   */
  async project(embeddings: Embeddings, seed: number, label: string): Promise<Float32Array> {
    return this.onEmbeddingsFile(embeddings, 'umap input', label, async (file, jobId, report) => {
      const result = await this.run({ type: 'project', jobId, request: { file, seed } }, (m) => {
        if (m.type === 'job-progress') report({ done: m.done, total: m.total, state: 'running' });
      });
      if (result.type !== 'projection-result')
        throw new EmbeddingJobError(result.type === 'job-failed' ? result.message : 'The projection worker gave no result');
      if (result.xy.length !== embeddings.count * 2)
        throw new EmbeddingJobError('The projection worker returned the wrong number of points');
      return Float32Array.from(result.xy);
    });
  }

  /**
   * A worker job that reads vectors this process holds: they are written to a temporary embeddings file, the job's
   * progress, end or failure reported under `label`, and the file removed whatever happens.
   */
  private async onEmbeddingsFile<T>(
    embeddings: Embeddings,
    what: string,
    label: string,
    work: (file: string, jobId: string, report: (p: Omit<JobProgress, 'jobId' | 'label'>) => void) => Promise<T>,
  ): Promise<T> {
    mkdirSync(this.cacheDir, { recursive: true });
    const jobId = randomUUID();
    const file = path.join(this.cacheDir, `${jobId}.emb`);
    const report = (p: Omit<JobProgress, 'jobId' | 'label'>) => this.hub?.emit('jobs.progress', { jobId, label, ...p });
    try {
      await writeEmbeddingFile(
        file,
        embeddings,
        what,
        Array.from({ length: embeddings.count }, (_, i) => i),
      );
      const out = await work(file, jobId, report);
      report({ done: 1, total: 1, state: 'done' });
      return out;
    } catch (err) {
      report({ done: 0, total: 0, state: 'failed', message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Checks a model of the user's own (it loads and embeds) and installs it in the zoo, in a worker. */
  async importModel(request: ImportRequest): Promise<{ key: string; inputSize: number; embeddingDim: number }> {
    const result = await this.run({ type: 'import', jobId: randomUUID(), request }, () => {});
    if (result.type !== 'import-result')
      throw new EmbeddingJobError(result.type === 'job-failed' ? result.message : 'The import worker gave no result');
    return { key: result.key, inputSize: result.inputSize, embeddingDim: result.embeddingDim };
  }

  /** The data-quality report of a dataset from the embeddings of all its rows, computed in a worker. */
  async quality(embeddings: Embeddings, request: Omit<QualityRequest, 'file'>, label: string): Promise<QualityReport> {
    return this.onEmbeddingsFile(embeddings, 'quality input', label, async (file, jobId, report) => {
      report({ done: 0, total: 1, state: 'running' });
      const result = await this.run({ type: 'quality', jobId, request: { ...request, file } }, () => {});
      if (result.type !== 'quality-result')
        throw new EmbeddingJobError(result.type === 'job-failed' ? result.message : 'The quality worker gave no result');
      return result.report;
    });
  }

  /** Which TensorFlow.js backends load, probed once in a worker. */
  backends(): Promise<BackendReport> {
    this.probe ??= this.run({ type: 'probe' }, () => {}).then((m) => {
      if (m.type !== 'probe-result') throw new Error('The backend probe gave no result');
      return m.report;
    });
    this.probe.catch(() => (this.probe = null));
    return this.probe;
  }

  /** Starts a worker for one request; resolves with its final message (done, failed or probe result). */
  private run(request: WorkerRequest, onMessage: (m: JobMessage) => void): Promise<JobMessage> {
    const worker = this.spawnWorker();
    this.live.add(worker);
    return new Promise((resolve, reject) => {
      let final: JobMessage | null = null;
      worker.onMessage((m) => {
        if (!isJobMessage(m)) return;
        if (m.type === 'job-progress') onMessage(m);
        else final ??= m;
      });
      worker.onExit((code) => {
        this.live.delete(worker);
        if (final) resolve(final);
        else reject(new EmbeddingJobError(`The worker process exited with code ${code ?? 'signal'} before finishing`));
      });
      worker.send(request);
    });
  }

  /** Ends every running job (app shutdown). */
  shutdown(): void {
    for (const w of this.live) w.kill();
  }
}
