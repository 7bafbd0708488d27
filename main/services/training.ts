import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TrainConfig } from '../../shared/schemas/config';
import { backendLabel, type TrainEvent } from '../../shared/schemas/events';
import type { EventHub } from '../api/dispatch';
import type { RunStore } from '../store/runs';
import { isJobMessage, type WorkerHandle } from '../engine/worker-protocol';
import { forkNodeWorker } from './workers';

export interface StartRun {
  config: TrainConfig;
  configYaml: string;
  /** Folder that relative paths in the config are resolved against. */
  baseDir: string;
  name?: string;
}

interface Live {
  worker: WorkerHandle;
  pending: { step: number; epoch: number; key: string; value: number; time: number }[];
  timer: NodeJS.Timeout | null;
  logFile: string;
  finalStatus: boolean;
  done: Promise<void>;
}

/**
 * Owns training processes: creates the run row, starts a worker, persists what it streams (metrics batched into
 * transactions, checkpoints, backend, status, a log file) and forwards every event to the app's clients.
 */
export class TrainingSupervisor {
  private readonly live = new Map<number, Live>();

  constructor(
    private readonly store: RunStore,
    private readonly hub: EventHub | null,
    readonly dataDir: string,
    private readonly spawnWorker: () => WorkerHandle = forkNodeWorker,
  ) {}

  async start(req: StartRun, onEvent?: (e: TrainEvent) => void): Promise<{ runId: number; outDir: string; done: Promise<void> }> {
    const { config } = req;
    const csv = path.resolve(req.baseDir, config.dataset);
    const datasetId = await this.store.registerDataset(
      path.basename(path.dirname(csv)),
      csv,
      config.dataset_root ? path.resolve(req.baseDir, config.dataset_root) : path.dirname(csv),
    );
    const runId = await this.store.createRun({ name: req.name ?? config.postfix, configYaml: req.configYaml, config, datasetId });
    const outDir = path.join(this.dataDir, 'runs', String(runId));
    await this.store.setOutDir(runId, outDir, req.baseDir);
    const done = this.launch(runId, req.configYaml, req.baseDir, outDir, false, onEvent);
    return { runId, outDir, done };
  }

  /** Continues an interrupted or stopped run from its last checkpoint, in the same run. */
  async resume(runId: number, onEvent?: (e: TrainEvent) => void): Promise<{ runId: number; outDir: string; done: Promise<void> }> {
    const run = await this.store.getRun(runId);
    if (!run) throw new Error(`No run with id ${runId}`);
    if (this.live.has(runId)) throw new Error(`Run ${runId} is already running`);
    // One writer per run: a run that another process (the app, a terminal) is training is not resumed beside it.
    const pid = await this.store.livePid(runId);
    if (pid !== null) throw new Error(`Run ${runId} is being trained by process ${pid}; stop it there first`);
    await this.store.reopen(runId);
    const outDir = (await this.store.outDir(runId)) ?? path.join(this.dataDir, 'runs', String(runId));
    const baseDir = (await this.store.baseDir(runId)) ?? process.cwd();
    const done = this.launch(runId, run.configYaml, baseDir, outDir, true, onEvent);
    return { runId, outDir, done };
  }

  private launch(
    runId: number,
    configYaml: string,
    baseDir: string,
    outDir: string,
    resume: boolean,
    onEvent?: (e: TrainEvent) => void,
  ): Promise<void> {
    mkdirSync(outDir, { recursive: true });
    const worker = this.spawnWorker();
    let resolveDone!: () => void;
    const live: Live = {
      worker,
      pending: [],
      timer: null,
      logFile: path.join(outDir, 'train.log'),
      finalStatus: false,
      done: new Promise((r) => (resolveDone = r)),
    };
    this.live.set(runId, live);
    // Events are persisted strictly in order (a status never overtakes the metrics before it).
    let chain: Promise<void> = Promise.resolve();
    const track = (work: () => Promise<unknown>) => {
      chain = chain.then(work).then(
        () => {},
        (err) => console.error(`run ${runId}: ${err}`),
      );
    };

    track(() => this.store.setStatus(runId, 'queued', { pid: worker.pid }));
    worker.onMessage((e) => {
      if (isJobMessage(e)) return;
      onEvent?.(e);
      this.hub?.emit('train.events', e);
      track(() => this.persist(runId, live, e));
    });
    worker.onExit((code) => {
      void (async () => {
        await chain;
        await this.flush(runId, live);
        if (!live.finalStatus) {
          // The process died without saying how it ended (killed, crashed): the run can be resumed.
          await this.store.setStatus(runId, 'interrupted', { error: `training process exited with code ${code ?? 'signal'}` });
          this.hub?.emit('runs.changed', { runId });
        }
        this.live.delete(runId);
        resolveDone();
      })();
    });
    worker.send({ type: 'start', runId, configYaml, baseDir, outDir, resume, dataDir: this.dataDir });
    return live.done;
  }

  private async persist(runId: number, live: Live, e: TrainEvent): Promise<void> {
    switch (e.type) {
      case 'metrics': {
        const time = Date.now() / 1000;
        for (const p of e.points)
          for (const [key, value] of Object.entries(p.values)) live.pending.push({ step: p.step, epoch: p.epoch, key, value, time });
        if (live.pending.length >= 500) await this.flush(runId, live);
        else live.timer ??= setTimeout(() => void this.flush(runId, live), 1000);
        return;
      }
      case 'log':
        appendFileSync(live.logFile, `${new Date().toISOString()} ${e.level.toUpperCase()} ${e.message}\n`);
        return;
      case 'backend':
        await this.store.setStatus(runId, 'running', { backend: backendLabel(e) });
        return;
      case 'checkpoint':
        await this.store.recordCheckpoint(runId, e);
        return;
      case 'status':
        if (['finished', 'failed', 'stopped'].includes(e.status)) {
          live.finalStatus = true;
          await this.flush(runId, live);
        }
        await this.store.setStatus(runId, e.status, { error: e.error });
        this.hub?.emit('runs.changed', { runId });
        return;
      case 'resumed':
        // Rows still queued from before are older than the checkpoint's successors: write them, then cut.
        await this.flush(runId, live);
        await this.store.forgetMetricsAfter(runId, e.epoch, e.step);
        return;
      case 'progress':
        return;
    }
  }

  private async flush(runId: number, live: Live): Promise<void> {
    if (live.timer) clearTimeout(live.timer);
    live.timer = null;
    const rows = live.pending.splice(0);
    await this.store.logMetrics(runId, rows);
  }

  /** Graceful: the worker stops at the next step and reports "stopped". */
  stop(runId: number): boolean {
    const live = this.live.get(runId);
    if (!live) return false;
    live.worker.send({ type: 'stop' });
    return true;
  }

  /** The worker process of a live run (to signal it, or to show it). */
  workerPid(runId: number): number | undefined {
    return this.live.get(runId)?.worker.pid;
  }

  isRunning(runId: number): boolean {
    return this.live.has(runId);
  }

  /** Kill every worker (app shutdown): their runs become "interrupted" and can be resumed. */
  async shutdown(): Promise<void> {
    const waits = [...this.live.values()].map((l) => {
      l.worker.kill();
      return l.done;
    });
    await Promise.all(waits);
  }
}
