import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfig } from '../../shared/schemas/config';
import type { TrainEvent } from '../../shared/schemas/events';
import { train } from '../../main/engine/train/trainer';
import { loadExtractor } from '../../main/engine/inference';
import { TrainingSupervisor } from '../../main/services/training';
import { RunStore } from '../../main/store/runs';
import { metricPoints, seenLabelsCsv, smallConfig } from '../helpers/training';
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
  it('lowers the loss and beats the untrained network, and its checkpoint reloads to the same embeddings', async () => {
    const events: TrainEvent[] = [];
    const outDir = path.join(dir, 'run-a');
    const result = await train({
      config: TrainConfig.parse(smallConfig(csv)),
      baseDir: dir,
      outDir,
      runId: 1,
      emit: (e) => events.push(e),
      shouldStop: () => false,
    });
    expect(result.status).toBe('finished');

    const points = metricPoints(events);
    const losses = points.filter((p) => 'loss' in p.values);
    const first = losses.slice(0, 6).reduce((s, e) => s + e.values.loss!, 0) / 6;
    const last = losses.slice(-6).reduce((s, e) => s + e.values.loss!, 0) / 6;
    expect(last).toBeLessThan(first * 0.7);

    const evals = points.filter((p) => 'OVERALL/cmc/1' in p.values);
    const untrained = evals[0]!.values['OVERALL/cmc/1']!;
    const trained = evals.at(-1)!.values['OVERALL/cmc/1']!;
    expect(evals[0]!.epoch).toBe(-1);
    expect(trained).toBeGreaterThan(untrained + 0.02);
    expect(events.some((e) => e.type === 'backend' && e.name === 'wasm')).toBe(true);

    // Reload the last checkpoint twice (fresh model objects) and embed the same images: identical vectors.
    const a = await loadExtractor(path.join(outDir, 'checkpoints', 'last'), 'wasm');
    const b = await loadExtractor(path.join(outDir, 'checkpoints', 'last'), 'wasm');
    const x = tf.randomUniform([4, 28, 28, 1], -1, 1, 'float32', 3);
    const ea = ((a.model as tf.LayersModel).predict(x) as tf.Tensor).dataSync();
    const eb = ((b.model as tf.LayersModel).predict(x) as tf.Tensor).dataSync();
    expect(Array.from(ea)).toEqual(Array.from(eb));
    expect(a.meta.epoch).toBe(14);
    expect(a.meta.labelMapping).toHaveLength(5);
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

  it('stops gracefully at the next step when asked', async () => {
    const dataDir = path.join(dir, 'data-stop');
    const store = await RunStore.open(dataDir);
    const supervisor = new TrainingSupervisor(store, null, dataDir);
    const cfg = TrainConfig.parse(smallConfig(csv, { max_epochs: 50 }));
    let asked = false;
    const run = await supervisor.start({ config: cfg, configYaml: YAML.stringify(cfg), baseDir: dir }, (e) => {
      if (!asked && e.type === 'metrics' && e.points.some((p) => 'loss' in p.values)) {
        asked = true;
        expect(supervisor.stop(e.runId)).toBe(true);
      }
    });
    await run.done;
    const stopped = (await store.getRun(run.runId))!;
    expect(stopped.status).toBe('stopped');
    expect(stopped.endedAt).not.toBeNull();
    expect(supervisor.isRunning(run.runId)).toBe(false);
    await store.close();
  }, 60_000);
});
