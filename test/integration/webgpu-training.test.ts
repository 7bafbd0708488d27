// A short training forced onto the webgpu backend — Dawn on Mesa's lavapipe here, a software adapter `auto` never
// picks — in the bundled worker the packaged app runs, against the same run on wasm: the same loss at every step
// and the same validation metric, within float tolerance.
import { fork } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfig } from '../../shared/schemas/config';
import type { BackendReport } from '../../shared/schemas/engine';
import type { TrainEvent } from '../../shared/schemas/events';
import { appRoot } from '../../main/paths';
import { train } from '../../main/engine/train/trainer';
import { readEmbeddingFile } from '../../main/retrieval/embedding-file';
import { relDiff } from '../helpers/gradient-checks';
import { SAMPLE_ROOT, metricPoints, seenLabelsCsv, smallConfig } from '../helpers/training';
import { tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('ms-webgpu-')));
afterAll(() => cleanup());

const bundle = () => {
  const file = path.join(appRoot(), 'dist', 'main', 'worker.cjs');
  if (!existsSync(file)) throw new Error('Build first: npm run build');
  return file;
};

/** Runs one worker job to its exit; returns every message it sent. */
async function job(message: object): Promise<unknown[]> {
  const child = fork(bundle(), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const messages: unknown[] = [];
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.on('message', (m) => messages.push(m));
  child.send(message);
  await exited;
  return messages;
}

async function trainOn(backend: 'wasm' | 'webgpu', csv: string) {
  const cfg = TrainConfig.parse(smallConfig(csv, { backend, threads: 1, max_epochs: 2, valid_period: 2 }));
  const outDir = path.join(dir, backend);
  const events = (await job({
    type: 'start',
    runId: 1,
    configYaml: YAML.stringify(cfg),
    baseDir: dir,
    outDir,
    resume: false,
    dataDir: dir,
  })) as TrainEvent[];
  const points = metricPoints(events);
  return {
    events,
    losses: points.flatMap((p) => (p.values.loss === undefined ? [] : [p.values.loss])),
    cmc: points.flatMap((p) => (p.values['OVERALL/cmc/1'] === undefined ? [] : [p.values['OVERALL/cmc/1']])),
  };
}

describe('the webgpu backend (Dawn) in the bundled worker', () => {
  it('is probed with its adapter, and auto does not pick a software one', async () => {
    const [msg] = (await job({ type: 'probe' })) as { type: string; report: BackendReport }[];
    const webgpu = msg!.report.probes.find((p) => p.name === 'webgpu')!;
    expect(webgpu.available).toBe(true);
    expect(webgpu.adapter).toMatchObject({ fallback: true });
    expect(webgpu.adapter!.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(webgpu.detail).toMatch(/never chosen by auto/);
    expect(msg!.report.selected).toBe('wasm');
  }, 60_000);

  it("trains a forced-webgpu run whose loss curve is the wasm run's", async () => {
    const csv = seenLabelsCsv(dir);
    const wasm = await trainOn('wasm', csv);
    const gpu = await trainOn('webgpu', csv);
    const status = (r: typeof gpu) => r.events.filter((e) => e.type === 'status').map((e) => (e as { status: string }).status);
    expect(status(gpu)).toEqual(['running', 'finished']);
    expect(gpu.events.find((e) => e.type === 'backend')).toMatchObject({
      name: 'webgpu',
      device: expect.stringMatching(/software adapter/),
    });
    expect(gpu.losses.length).toBe(4);
    // GPU memory in the live view: every step of the webgpu run says how much it holds; a wasm run says nothing.
    const memory = (r: typeof gpu) =>
      metricPoints(r.events).flatMap((p) => (p.values.gpu_memory_mb === undefined ? [] : [p.values.gpu_memory_mb]));
    expect(memory(gpu)).toHaveLength(4);
    expect(Math.min(...memory(gpu))).toBeGreaterThan(0.1);
    expect(memory(wasm)).toEqual([]);
    expect(gpu.losses.length).toBe(wasm.losses.length);
    // The loss moves between steps (a curve, not a constant), and each step's value agrees.
    expect(new Set(wasm.losses.map((l) => l.toFixed(4))).size).toBeGreaterThan(1);
    for (const [i, l] of gpu.losses.entries())
      expect(Math.abs(l - wasm.losses[i]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(wasm.losses[i]!)));
    // CMC@1 of the untrained network (before step 0) and after the last epoch.
    expect(gpu.cmc).toHaveLength(2);
    for (const [i, c] of gpu.cmc.entries()) expect(c).toBeCloseTo(wasm.cmc[i]!, 3);

    // Embedding: the wasm run's checkpoint embeds the validation images to the same vectors on webgpu.
    const embed = async (backend: 'wasm' | 'webgpu') => {
      const out = path.join(dir, `emb-${backend}.bin`);
      const request = {
        model: { kind: 'checkpoint', dir: path.join(dir, 'wasm', 'checkpoints', 'last') },
        target: { kind: 'dataset', csv, root: SAMPLE_ROOT },
        out,
        bs: 50,
        backend,
      };
      const messages = (await job({ type: 'embed', jobId: backend, request })) as { type: string; result?: { backend: string } }[];
      expect(messages.find((m) => m.type === 'job-done')?.result?.backend, JSON.stringify(messages.at(-1))).toBe(backend);
      return (await readEmbeddingFile(out)).embeddings;
    };
    const [onWasm, onGpu] = [await embed('wasm'), await embed('webgpu')];
    expect(onGpu.count).toBe(150);
    expect(relDiff(onGpu.data, onWasm.data)).toBeLessThan(1e-4);
  }, 180_000);
});

describe('a batch too large for the GPU', () => {
  // At 256 px the small CNN's first activation is 32 × 256 × 256 floats an image: 20 images need a 168 MB buffer,
  // over lavapipe's 128 MB binding limit (a real GPU's is often the same). Dawn reports it beside the queue and the
  // kernels return zeros; the run must stop and say which setting to lower.
  // micro_batch 20: the whole batch in one pass (auto would split it into chunks that fit the binding limit).
  const run = (csv: string, bs_val: number) =>
    train({
      config: TrainConfig.parse(
        smallConfig(csv, { backend: 'webgpu', image_size: 256, bs_val, max_epochs: 1, valid_period: 1, micro_batch: 20 }),
      ),
      baseDir: dir,
      outDir: path.join(dir, `big-${bs_val}`),
      runId: 1,
      eventIntervalMs: 0,
      emit: () => {},
      shouldStop: () => false,
    });

  it('while validating, names bs_val', async () => {
    await expect(run(seenLabelsCsv(dir), 150)).rejects.toThrow(
      /ran out of memory with a batch of 150 images: lower bs_val \(150\) or image_size.*maximum storage buffer binding size/,
    );
  }, 60_000);

  it("while training, names the sampler's batch", async () => {
    // Training rows only: no validation pass comes first.
    const csv = path.join(dir, 'train-only.csv');
    const lines = readFileSync(seenLabelsCsv(dir), 'utf8').trim().split('\n');
    writeFileSync(csv, `${[lines[0], ...lines.slice(1).filter((l) => l.split(',')[2] === 'train')].join('\n')}\n`);
    await expect(run(csv, 4)).rejects.toThrow(/batch of 20 images: lower the sampler's n_labels × n_instances \(2 × 10\) or image_size/);
  }, 60_000);
});
