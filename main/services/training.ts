import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TrainConfig } from '../../shared/schemas/config';
import { backendLabel, type TrainEvent } from '../../shared/schemas/events';
import type { EventHub } from '../api/dispatch';
import type { RunStore } from '../store/runs';
import { isJobMessage, type WorkerHandle } from '../engine/worker-protocol';
import { forkNodeWorker } from './workers';
import { lastCheckpointOf } from '../engine/train/checkpoint-dir';
import { journalOf, readJournal } from '../engine/train/metrics-journal';
import { fileDigest } from '../file-digest';
import { storageMessage } from '../disk-errors';

/** A status after which the worker sends nothing more. */
const FINAL: readonly string[] = ['finished', 'failed', 'stopped'];

export interface StartRun {
  config: TrainConfig;
  configYaml: string;
  /** Folder that relative paths in the config are resolved against. */
  baseDir: string;
  name?: string;
}

interface Queued {
  runId: number;
  launch: () => Promise<void>;
  /** Settles the run's `done` promise without ever starting it (cancelled while queued). */
  cancel: () => void;
}

interface Live {
  worker: WorkerHandle;
  pending: { step: number; epoch: number; key: string; value: number; time: number }[];
  timer: NodeJS.Timeout | null;
  logFile: string;
  finalStatus: boolean;
  /** Set when the store refused a write (a full disk): the run is ended, and failed with this. */
  storeFailure: string | null;
  done: Promise<void>;
}

/**
 * Owns training processes: creates the run row, starts a worker, persists what it streams (metrics batched into
 * transactions, checkpoints, backend, status, a log file) and forwards every event to the app's clients.
 */
export class TrainingSupervisor {
  private readonly live = new Map<number, Live>();
  /** Runs waiting for a free slot, in the order they were started; each launches when a live run ends. */
  private readonly waiting: Queued[] = [];
  /**
   * How many runs train at once. One: a run already uses every core (wasm threads or native TensorFlow), so a
   * second one beside it would only slow both; a second Start queues instead.
   */
  concurrency = 1;

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
    // The exact file: a fix writes a new version beside it, and the run says which one it trained on.
    const datasetDigest = await fileDigest(csv).catch(() => null);
    const runId = await this.store.createRun({
      name: req.name ?? config.postfix,
      distinctName: req.name === undefined,
      configYaml: req.configYaml,
      datasetId,
      datasetDigest,
    });
    const outDir = path.join(this.dataDir, 'runs', String(runId));
    await this.store.setOutDir(runId, outDir, req.baseDir);
    const { done } = await this.launchOrQueue(runId, () => this.launch(runId, req.configYaml, req.baseDir, outDir, false, onEvent));
    return { runId, outDir, done };
  }

  /**
   * Launches now when a slot is free, else queues: the run shows as "queued" with this process's pid (so another
   * process opening the store does not take it for an orphan) until a live run ends and frees its slot.
   */
  private async launchOrQueue(runId: number, launch: () => Promise<void>): Promise<{ done: Promise<void> }> {
    if (this.live.size < this.concurrency && this.waiting.length === 0) return { done: launch() };
    await this.store.markWaiting(runId, process.pid);
    this.hub?.emit('runs.changed', { runId });
    const done = new Promise<void>((resolve) => {
      this.waiting.push({ runId, launch: () => launch().then(resolve), cancel: resolve });
    });
    // The live run may have ended while the status was written: then this one starts now.
    this.next();
    return { done };
  }

  /** A slot freed: the oldest queued run starts. */
  private next(): void {
    while (this.live.size < this.concurrency && this.waiting.length) void this.waiting.shift()!.launch();
  }

  /** Queued runs' ids, oldest first. */
  queued(): number[] {
    return this.waiting.map((q) => q.runId);
  }

  /** Continues an interrupted or stopped run from its last checkpoint, in the same run. */
  async resume(runId: number, onEvent?: (e: TrainEvent) => void): Promise<{ runId: number; outDir: string; done: Promise<void> }> {
    const run = await this.store.getRun(runId);
    if (!run) throw new Error(`No run with id ${runId}`);
    if (this.isRunning(runId)) throw new Error(`Run ${runId} is already running or queued`);
    // One writer per run: a run that another process (the app, a terminal) is training is not resumed beside it.
    const pid = await this.store.livePid(runId);
    if (pid !== null) throw new Error(`Run ${runId} is being trained by process ${pid}; stop it there first`);
    const outDir = (await this.store.outDir(runId)) ?? path.join(this.dataDir, 'runs', String(runId));
    // Stopped or cancelled before its first epoch ended: there is nothing to continue from (a worker would fail).
    if (!lastCheckpointOf(outDir)) throw new Error(`Run ${runId} has no checkpoint to resume from yet: train it again instead`);
    // Taken under the store's write lock: a delete from another process now refuses it, or has already won.
    const claim = await this.store.claim(runId, process.pid);
    if (claim === 'gone') throw new Error(`No run with id ${runId} (it was deleted)`);
    if (claim !== 'ok') throw new Error(`Run ${runId} is being trained by process ${claim}; stop it there first`);
    await this.recoverJournal(runId, outDir).catch((err) => console.error(`run ${runId}: its journal could not be read back: ${err}`));
    const baseDir = (await this.store.baseDir(runId)) ?? process.cwd();
    const { done } = await this.launchOrQueue(runId, () => this.launch(runId, run.configYaml, baseDir, outDir, true, onEvent));
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
      storeFailure: null,
      done: new Promise((r) => (resolveDone = r)),
    };
    this.live.set(runId, live);
    // Events are persisted strictly in order (a status never overtakes the metrics before it).
    let chain: Promise<void> = Promise.resolve();
    const track = (work: () => Promise<unknown>) => {
      chain = chain.then(work).then(
        () => {},
        (err) => this.storeFailed(runId, live, err),
      );
    };

    track(() => this.store.setStatus(runId, 'queued', { pid: worker.pid }));
    worker.onMessage((e) => {
      if (isJobMessage(e)) return;
      onEvent?.(e);
      if (e.type === 'status' && FINAL.includes(e.status)) {
        // The end of a run reaches the UI once it is stored with every metric before it: a page that then reads the run finds it whole.
        track(async () => {
          try {
            await this.persist(runId, live, e);
          } finally {
            this.hub?.emit('train.events', e);
          }
        });
        return;
      }
      this.hub?.emit('train.events', e);
      track(() => this.persist(runId, live, e));
    });
    worker.onExit((code) => {
      void (async () => {
        await chain;
        await this.flush(runId, live).catch((err) => this.storeFailed(runId, live, err));
        if (live.storeFailure) {
          // Best effort: on a full disk even this may not be written; the log file and the message have it.
          await this.store.setStatus(runId, 'failed', { error: live.storeFailure }).catch(() => {});
          this.hub?.emit('runs.changed', { runId });
        } else if (!live.finalStatus) {
          await this.recoverJournal(runId, outDir).catch((err) =>
            console.error(`run ${runId}: its journal could not be read back: ${err}`),
          );
          // The process died without saying how it ended (killed, crashed): the run can be resumed.
          await this.store.setStatus(runId, 'interrupted', { error: `training process exited with code ${code ?? 'signal'}` });
          this.hub?.emit('runs.changed', { runId });
        }
        this.live.delete(runId);
        resolveDone();
        this.next();
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
      case 'baseline':
        await this.store.saveBaseline(runId, e.baseline);
        return;
      case 'status':
        if (FINAL.includes(e.status)) {
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

  /**
   * The store refused a write: said once (not once per event), and the run ends — training on would log into the
   * void. A full disk is named as such; its points stay in the run's journal for a resume.
   */
  private storeFailed(runId: number, live: Live, err: unknown): void {
    if (live.storeFailure) return;
    live.storeFailure =
      storageMessage(err, this.dataDir) ?? `Its results could not be stored: ${err instanceof Error ? err.message : String(err)}`;
    console.error(`run ${runId}: ${live.storeFailure}`);
    live.worker.kill();
  }

  /** The points the worker journalled that never reached the store (a supervisor or worker killed mid-run). */
  private async recoverJournal(runId: number, outDir: string): Promise<void> {
    const rows = readJournal(journalOf(outDir));
    if (rows) await this.store.mergeJournal(runId, rows);
  }

  private async flush(runId: number, live: Live): Promise<void> {
    if (live.timer) clearTimeout(live.timer);
    live.timer = null;
    const rows = live.pending.splice(0);
    await this.store.logMetrics(runId, rows);
  }

  /** Graceful: the worker stops at the next step and reports "stopped"; a queued run is cancelled before it starts. */
  stop(runId: number): boolean {
    const q = this.waiting.findIndex((w) => w.runId === runId);
    if (q >= 0) {
      const [cancelled] = this.waiting.splice(q, 1);
      void this.store
        .setStatus(runId, 'stopped', { error: 'cancelled while queued: it never started' })
        .then(() => this.hub?.emit('runs.changed', { runId }))
        .finally(() => cancelled!.cancel());
      return true;
    }
    const live = this.live.get(runId);
    if (!live) return false;
    live.worker.send({ type: 'stop' });
    return true;
  }

  /** The worker process of a live run (to signal it, or to show it). */
  workerPid(runId: number): number | undefined {
    return this.live.get(runId)?.worker.pid;
  }

  /** Live or queued: either way the run is the supervisor's (not to be deleted or resumed beside it). */
  isRunning(runId: number): boolean {
    return this.live.has(runId) || this.waiting.some((w) => w.runId === runId);
  }

  /** Kill every worker (app shutdown): their runs, and the queued ones, become "interrupted" and can be resumed. */
  async shutdown(): Promise<void> {
    for (const q of this.waiting.splice(0)) {
      await this.store.setStatus(q.runId, 'interrupted', { error: 'the app closed while it was queued' });
      q.cancel();
    }
    const waits = [...this.live.values()].map((l) => {
      l.worker.kill();
      return l.done;
    });
    await Promise.all(waits);
  }
}
