import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfig } from '../../shared/schemas/config';
import type { TrainEvent } from '../../shared/schemas/events';
import { train } from '../../main/engine/train/trainer';
import { loadExtractor } from '../../main/engine/inference';
import { runEmbedJob } from '../../main/engine/embed/job';
import { buildExtractor } from '../../main/engine/models/extractor';
import { readDatasetCsv, validationRows } from '../../main/dataset/table';
import { readEmbeddingFile } from '../../main/retrieval/embedding-file';
import { computeMetrics, flattenMetrics, metricArgsOf } from '../../main/metrics/embedding-metrics';
import { tableValidationSet } from '../../main/metrics/evaluate-dataset';
import { forkNodeWorker } from '../../main/services/workers';
import { TrainingSupervisor } from '../../main/services/training';
import { RunStore } from '../../main/store/runs';
import type { WorkerHandle, WorkerMessage, WorkerRequest } from '../../main/engine/worker-protocol';
import { metricPoints, SAMPLE_ROOT, seenLabelsCsv, smallConfig } from '../helpers/training';
import { tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
let csv: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('ms-train-'));
  csv = seenLabelsCsv(dir);
});
afterAll(() => cleanup());

describe('training on the shipped sample', () => {
  it('lowers the loss, beats the untrained network, and its best checkpoint reproduces the metric logged for it', async () => {
    const events: TrainEvent[] = [];
    const outDir = path.join(dir, 'run-a');
    const config = TrainConfig.parse(smallConfig(csv, { valid_period: 5 }));
    const result = await train({ config, baseDir: dir, outDir, runId: 1, emit: (e) => events.push(e), shouldStop: () => false });
    expect(result.status).toBe('finished');

    const points = metricPoints(events);
    const losses = points.filter((p) => 'loss' in p.values);
    const first = losses.slice(0, 6).reduce((s, e) => s + e.values.loss!, 0) / 6;
    const last = losses.slice(-6).reduce((s, e) => s + e.values.loss!, 0) / 6;
    expect(last).toBeLessThan(first * 0.7);

    const evals = points.filter((p) => 'OVERALL/cmc/1' in p.values);
    expect(evals.map((p) => p.epoch)).toEqual([-1, 4, 9, 14]);
    const untrained = evals[0]!.values['OVERALL/cmc/1']!;
    const trained = evals.at(-1)!.values['OVERALL/cmc/1']!;
    expect(trained).toBeGreaterThan(untrained + 0.02);
    expect(events.some((e) => e.type === 'backend' && e.name === 'wasm')).toBe(true);

    // The best checkpoint is the epoch with the highest logged CMC@1 (the first of equals), and embedding the
    // validation images with it from disk gives that epoch's logged metrics again — not the untrained ones.
    const logged = evals.slice(1);
    const bestPoint = logged.reduce((b, p) => (p.values['OVERALL/cmc/1']! > b.values['OVERALL/cmc/1']! ? p : b));
    const best = await loadExtractor(path.join(outDir, 'checkpoints', 'best'), 'wasm');
    expect(best.meta.epoch).toBe(bestPoint.epoch);
    expect(best.meta.labelMapping).toHaveLength(5);
    const out = path.join(dir, 'best.emb');
    await runEmbedJob(
      {
        model: { kind: 'checkpoint', dir: path.join(outDir, 'checkpoints', 'best') },
        target: { kind: 'dataset', csv, root: SAMPLE_ROOT },
        out,
        bs: 64,
        backend: 'wasm',
      },
      () => {},
    );
    const { table } = await readDatasetCsv(csv, { root: SAMPLE_ROOT });
    const { embeddings } = await readEmbeddingFile(out);
    const { tree } = computeMetrics(tableValidationSet(table, validationRows(table), embeddings), metricArgsOf(config.metric_args));
    const again = flattenMetrics(tree);
    expect(again['OVERALL/cmc/1']).toBe(bestPoint.values['OVERALL/cmc/1']);
    expect(again['OVERALL/map/5']).toBeCloseTo(bestPoint.values['OVERALL/map/5']!, 6);
    expect(again['OVERALL/cmc/1']).not.toBe(untrained);

    // Its weights are trained ones: far from the seeded initial network's, and reloading gives the same vectors.
    const initial = buildExtractor(config.extractor, [28, 28, 1], config.seed);
    const bestModel = best.model as tf.LayersModel;
    const moved = initial.getWeights().map((w, i) => tf.sub(w, bestModel.getWeights()[i]!).abs().max().dataSync()[0]!);
    expect(Math.max(...moved)).toBeGreaterThan(1e-3);
    const twice = await loadExtractor(path.join(outDir, 'checkpoints', 'best'), 'wasm');
    const x = tf.randomUniform([4, 28, 28, 1], -1, 1, 'float32', 3);
    const ea = (bestModel.predict(x) as tf.Tensor).dataSync();
    const eb = ((twice.model as tf.LayersModel).predict(x) as tf.Tensor).dataSync();
    expect(Array.from(ea)).toEqual(Array.from(eb));
    expect((await loadExtractor(path.join(outDir, 'checkpoints', 'last'), 'wasm')).meta.epoch).toBe(14);
  }, 120_000);

  it('a run killed with SIGKILL is marked interrupted, and resuming it ends exactly where an unbroken run ends', async () => {
    const dataDir = path.join(dir, 'data');
    const store = await RunStore.open(dataDir);
    const supervisor = new TrainingSupervisor(store, null, dataDir);
    const cfg = TrainConfig.parse(smallConfig(csv, { max_epochs: 4, valid_period: 2 }));
    const yaml = YAML.stringify(cfg);

    const whole = await supervisor.start({ config: cfg, configYaml: yaml, baseDir: dir, name: 'whole' });
    await whole.done;
    const reference = (await store.getRun(whole.runId))!;
    expect(reference.status).toBe('finished');

    let killed = false;
    const broken = await supervisor.start({ config: cfg, configYaml: yaml, baseDir: dir, name: 'broken' }, (e) => {
      if (!killed && e.type === 'checkpoint' && e.kind === 'last' && e.epoch === 1) {
        killed = true;
        process.kill(supervisor.workerPid(e.runId)!, 'SIGKILL');
      }
    });
    await broken.done;
    expect(killed).toBe(true);
    const interrupted = (await store.getRun(broken.runId))!;
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.error).toMatch(/exited with code/);
    const integrity = await store.db.get<{ integrity_check: string }>('PRAGMA integrity_check');
    expect(integrity!.integrity_check).toBe('ok');

    const resumed = await supervisor.resume(broken.runId);
    await resumed.done;
    const final = (await store.getRun(broken.runId))!;
    expect(final.status).toBe('finished');
    expect(final.error).toBeNull(); // the killed attempt's error no longer describes the run
    expect(final.lastMetrics['OVERALL/cmc/1']).toBe(reference.lastMetrics['OVERALL/cmc/1']);
    expect(final.lastMetrics['OVERALL/map/5']).toBe(reference.lastMetrics['OVERALL/map/5']);
    expect(final.lastMetrics.loss).toBe(reference.lastMetrics.loss);
    await store.close();
  }, 180_000);

  it('a run stopped mid-epoch resumes after its checkpoint: its stored series equal an unbroken run’s, no step twice', async () => {
    // The trainer in this process behind the worker interface, so the stop lands on an exact step: the first
    // attempt stops before step 2 of epoch 1, after step 1 of that epoch was logged (and is to be logged again).
    let attempt = 0;
    const inProcess = (): WorkerHandle => {
      const listeners: ((m: WorkerMessage) => void)[] = [];
      const exits: ((code: number | null) => void)[] = [];
      const stopBefore = ++attempt === 2 ? 4 : Number.POSITIVE_INFINITY; // attempt 1 is the unbroken run
      let asked = 0;
      return {
        pid: process.pid,
        send: (m: WorkerRequest) => {
          if (m.type !== 'start') return;
          const post = (x: WorkerMessage) => {
            for (const l of listeners) l(x);
          };
          void train({
            config: TrainConfig.parse(YAML.parse(m.configYaml)),
            baseDir: m.baseDir,
            outDir: m.outDir,
            runId: m.runId,
            resume: m.resume,
            eventIntervalMs: 0,
            emit: post,
            shouldStop: () => ++asked >= stopBefore,
          }).then((r) => {
            post({ type: 'status', runId: m.runId, status: r.status });
            for (const l of exits) l(0);
          });
        },
        onMessage: (l) => void listeners.push(l),
        onExit: (l) => void exits.push(l),
        kill: () => {},
      };
    };
    const dataDir = path.join(dir, 'data-midepoch');
    const store = await RunStore.open(dataDir);
    const supervisor = new TrainingSupervisor(store, null, dataDir, inProcess);
    const cfg = TrainConfig.parse(smallConfig(csv, { max_epochs: 3, valid_period: 1 }));
    const yaml = YAML.stringify(cfg);
    const whole = await supervisor.start({ config: cfg, configYaml: yaml, baseDir: dir, name: 'whole' });
    await whole.done;
    const broken = await supervisor.start({ config: cfg, configYaml: yaml, baseDir: dir, name: 'broken' });
    await broken.done;
    expect((await store.getRun(broken.runId))!.status).toBe('stopped');
    const cut = await store.metricSeries(broken.runId, ['loss']);
    expect(cut.loss!.map(([step, epoch]) => [step, epoch])).toEqual([
      [1, 0],
      [2, 0],
      [3, 1],
    ]);

    await (await supervisor.resume(broken.runId)).done;
    const keys = ['loss', 'OVERALL/cmc/1', 'OVERALL/map/5'];
    const want = await store.metricSeries(whole.runId, keys);
    const got = await store.metricSeries(broken.runId, keys);
    expect(want.loss!.map(([step]) => step)).toEqual([1, 2, 3, 4, 5, 6]);
    // Same steps and epochs; values to float tolerance (two runs in one process share TF.js's engine, and the
    // resumed one its restored optimiser slots: the separate-process resume above is bit-exact).
    for (const key of keys) {
      expect(
        got[key]!.map(([step, epoch]) => [step, epoch]),
        key,
      ).toEqual(want[key]!.map(([step, epoch]) => [step, epoch]));
      for (const [i, [, , v]] of got[key]!.entries()) expect(v, `${key} #${i}`).toBeCloseTo(want[key]![i]![2]!, 5);
    }
    await store.close();
  }, 120_000);

  it('does not resume a run that another live process is training (one writer per run)', async () => {
    const dataDir = path.join(dir, 'data-lock');
    const store = await RunStore.open(dataDir);
    const supervisor = new TrainingSupervisor(store, null, dataDir);
    const id = await store.createRun({ name: 'elsewhere', configYaml: 'x: 1' });
    // Another process (this test's own pid: alive) is training it.
    await store.setStatus(id, 'running', { pid: process.pid });
    await expect(supervisor.resume(id)).rejects.toThrow(`Run ${id} is being trained by process ${process.pid}`);
    expect((await store.getRun(id))!.status).toBe('running');
    await store.close();
  });

  it('a second start while one trains is queued: it waits, can be cancelled before it starts, and starts when the slot frees', async () => {
    const dataDir = path.join(dir, 'data-queue');
    const store = await RunStore.open(dataDir);
    let spawned = 0;
    const supervisor = new TrainingSupervisor(store, null, dataDir, () => {
      spawned++;
      return forkNodeWorker();
    });
    const cfg = TrainConfig.parse(smallConfig(csv, { max_epochs: 2, valid_period: 2 }));
    const req = { config: cfg, configYaml: YAML.stringify(cfg), baseDir: dir };
    const first = await supervisor.start(req);
    const second = await supervisor.start(req);
    const third = await supervisor.start(req);
    expect(spawned).toBe(1);
    expect(supervisor.queued()).toEqual([second.runId, third.runId]);
    // Queued runs carry this process's pid: another process opening the store does not take them for orphans.
    const other = await RunStore.open(dataDir);
    expect((await other.getRun(second.runId))!.status).toBe('queued');
    await other.close();
    // Cancel the second before it starts: it never spawns a worker, and the third takes its place.
    expect(supervisor.stop(second.runId)).toBe(true);
    await second.done;
    expect(await store.getRun(second.runId)).toMatchObject({ status: 'stopped', error: 'cancelled while queued: it never started' });
    // It has no checkpoint: resuming it is refused up front, not left to a worker that would fail.
    await expect(supervisor.resume(second.runId)).rejects.toThrow(`Run ${second.runId} has no checkpoint to resume from yet`);
    expect(spawned).toBe(1);
    await first.done;
    await third.done;
    expect(spawned).toBe(2);
    expect((await store.getRun(first.runId))!.status).toBe('finished');
    const t = (await store.getRun(third.runId))!;
    expect(t.status).toBe('finished');
    // One at a time: the third started after the first ended.
    expect(Date.parse(t.startedAt!)).toBeGreaterThanOrEqual(Date.parse((await store.getRun(first.runId))!.endedAt!));
    expect(supervisor.queued()).toEqual([]);
    await store.close();
  }, 120_000);

  it('stops gracefully at the next step when asked', async () => {
    const dataDir = path.join(dir, 'data-stop');
    const store = await RunStore.open(dataDir);
    const supervisor = new TrainingSupervisor(store, null, dataDir);
    // 50 epochs × 2 steps: an ignored stop runs to step 100.
    const cfg = TrainConfig.parse(smallConfig(csv, { max_epochs: 50 }));
    let askedAt = -1;
    let lastStep = -1;
    const run = await supervisor.start({ config: cfg, configYaml: YAML.stringify(cfg), baseDir: dir }, (e) => {
      for (const p of e.type === 'metrics' ? e.points : []) if ('loss' in p.values) lastStep = Math.max(lastStep, p.step);
      if (askedAt < 0 && lastStep >= 0) {
        askedAt = lastStep;
        expect(supervisor.stop(e.runId)).toBe(true);
      }
    });
    await run.done;
    const stopped = (await store.getRun(run.runId))!;
    expect(stopped.status).toBe('stopped');
    expect(stopped.endedAt).not.toBeNull();
    expect(supervisor.isRunning(run.runId)).toBe(false);
    // The worker finishes the step in hand (and the few the stop message overtook in flight), not the run.
    expect(askedAt).toBeGreaterThanOrEqual(0);
    expect(lastStep - askedAt).toBeLessThan(20);
    expect(lastStep).toBeLessThan(60);
    await store.close();
  }, 60_000);
});
