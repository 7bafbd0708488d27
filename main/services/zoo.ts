import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../shared/api';
import type { ZooCatalogEntry, ZooEntry } from '../../shared/schemas/zoo';
import type { EventHub } from '../api/dispatch';
import { changedOnDisk, modelDir, readCatalog, readManifest, zooRoot } from '../zoo/catalog';
import { DownloadCancelled } from '../zoo/download';
import { type InstallOptions, installZooModel, removeZooModel } from '../zoo/install';

/**
 * The model zoo for the app and the CLI: the catalogue with what is installed, downloads as background jobs
 * (progress on `jobs.progress`, cancellable, one at a time per model), removal, and where an installed model is.
 * Downloads are I/O: they run here, off the UI; loading the model for embedding happens in a worker.
 */
export class ZooService {
  private readonly running = new Map<string, { key: string; abort: AbortController; done: Promise<void> }>();

  constructor(
    private readonly dataDir: string,
    private readonly hub: EventHub | null = null,
    private readonly install: typeof installZooModel = installZooModel,
    private readonly registry?: InstallOptions['registry'],
  ) {}

  catalog(): ZooCatalogEntry[] {
    return readCatalog();
  }

  /** Models the user imported from folders (`zoo import`): installed, never downloaded. */
  private imported(): ZooCatalogEntry[] {
    const root = path.join(zooRoot(this.dataDir), 'models');
    if (!existsSync(root)) return [];
    return readdirSync(root)
      .map((k) => readManifest(path.join(root, k))?.entry)
      .filter((e): e is ZooCatalogEntry => e?.source.kind === 'local');
  }

  list(): ZooEntry[] {
    const catalogue = this.catalog().map((entry) => {
      const dir = modelDir(this.dataDir, entry.key);
      const m = readManifest(dir);
      // Verified once, then changed on disk (by size or time): no longer shown as verified — `zoo verify` hashes it.
      return { ...entry, installed: m !== null, verified: (m?.verified ?? false) && !changedOnDisk(dir, m!), origin: 'catalogue' as const };
    });
    const known = new Set(catalogue.map((e) => e.key));
    const local = this.imported().filter((e) => !known.has(e.key));
    return [...catalogue, ...local.map((e) => ({ ...e, installed: true, verified: false, origin: 'local' as const }))];
  }

  entry(key: string): ZooCatalogEntry {
    const all = [...this.catalog(), ...this.imported()];
    const e = all.find((x) => x.key === key);
    if (!e) throw new ApiError('not_found', `No zoo model "${key}" (known: ${all.map((x) => x.key).join(', ')})`);
    return e;
  }

  /** The folder of an installed model, for embedding with it. */
  installedDir(key: string): string {
    this.entry(key);
    const dir = modelDir(this.dataDir, key);
    if (!readManifest(dir))
      throw new ApiError(
        'not_found',
        `Zoo model "${key}" is not downloaded yet: download it on the Zoo page or with "metric-studio zoo download ${key}"`,
      );
    return dir;
  }

  /** Starts downloading a model; resolves at once with the job id (progress and the end arrive as jobs.progress). */
  download(key: string, onProgress?: (received: number, total: number | null) => void): { jobId: string; done: Promise<void> } {
    const entry = this.entry(key);
    const existing = [...this.running.entries()].find(([, j]) => j.key === key);
    if (existing) return { jobId: existing[0], done: existing[1].done };
    const jobId = randomUUID();
    const abort = new AbortController();
    const label = `Downloading ${entry.name}`;
    const emit = (done: number, total: number, state: 'running' | 'done' | 'failed', message?: string) =>
      this.hub?.emit('jobs.progress', { jobId, label, done, total, state, ...(message ? { message } : {}) });
    emit(0, entry.sizeBytes, 'running');
    let last = 0;
    const done = this.install(entry, this.dataDir, {
      signal: abort.signal,
      registry: this.registry,
      onProgress: (p) => {
        onProgress?.(p.received, p.total);
        if (Date.now() - last < 150) return;
        last = Date.now();
        emit(p.received, p.total ?? entry.sizeBytes, 'running');
      },
    }).then(
      () => {
        // Off the list before anyone awaiting `done` runs: a remove right after a download must not see it running.
        this.running.delete(jobId);
        emit(entry.sizeBytes, entry.sizeBytes, 'done');
        this.hub?.emit('zoo.changed', { key });
      },
      (e: unknown) => {
        this.running.delete(jobId);
        emit(0, entry.sizeBytes, 'failed', e instanceof DownloadCancelled ? 'cancelled' : (e as Error).message);
        throw e;
      },
    );
    done.catch(() => {});
    this.running.set(jobId, { key, abort, done });
    return { jobId, done };
  }

  cancel(jobId: string): boolean {
    const job = this.running.get(jobId);
    job?.abort.abort();
    return job !== undefined;
  }

  async remove(key: string): Promise<boolean> {
    this.entry(key);
    if ([...this.running.values()].some((j) => j.key === key))
      throw new ApiError('invalid_input', `"${key}" is downloading: cancel it first`);
    return removeZooModel(this.dataDir, key);
  }

  /** Tells every page a model was installed or removed outside this service (an import run in a worker). */
  changed(key: string): void {
    this.hub?.emit('zoo.changed', { key });
  }

  shutdown(): void {
    for (const j of this.running.values()) j.abort.abort();
  }
}
