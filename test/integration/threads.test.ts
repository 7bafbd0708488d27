// The wasm backend on several threads (tfjs's threaded-SIMD build, started on Node's worker_threads) trains to the
// single-thread run's numbers, and a run gets the thread count it asks for.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveThreads, THREADS_ENV } from '../../main/engine/wasm/threads';
import { tempDir } from '../helpers/tmp';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('ms-threads-'));
});
afterAll(() => cleanup());

interface ThreadRun {
  backend: { name: string; threads: number; detail: string };
  losses: [number, number][];
  metric: number[];
}

async function runWith(threads: number): Promise<ThreadRun> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(ROOT, 'bin/run-ts.mjs'), 'test/helpers/thread-run.ts', String(threads), dir],
    {
      cwd: ROOT,
      // The env var must not decide: the config's explicit count wins over it.
      env: { ...process.env, [THREADS_ENV]: '3' },
      timeout: 90_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ThreadRun;
}

describe('wasm threads', () => {
  it('1 and 3 threads give the same losses and metric, and each run gets its count', async () => {
    const [one, three] = await Promise.all([runWith(1), runWith(3)]);
    expect(one.backend).toMatchObject({ name: 'wasm', threads: 1 });
    expect(three.backend).toMatchObject({ name: 'wasm', threads: 3 });
    expect(one.losses.length).toBe(4); // 2 epochs × the sampler's 2 batches
    expect(three.losses.map(([step]) => step)).toEqual(one.losses.map(([step]) => step));
    for (const [i, [, loss]] of one.losses.entries()) expect(three.losses[i]![1]).toBeCloseTo(loss, 5);
    // The losses move: the comparison is between two trainings, not two copies of the initial loss.
    expect(new Set(one.losses.map(([, l]) => l.toFixed(6))).size).toBeGreaterThan(1);
    expect(three.metric).toEqual(one.metric);
  }, 120_000);

  it("our SIMD kernels run on the threaded build's shared heap and give tfjs's numbers", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin/run-ts.mjs'), 'test/helpers/simd-run.ts', '2'], {
      cwd: ROOT,
      timeout: 60_000,
    });
    const { threads, shared, diffs } = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      threads: number;
      shared: boolean;
      diffs: number[];
    };
    expect({ threads, shared }).toEqual({ threads: 2, shared: true });
    expect(diffs).toHaveLength(4); // y, dx, dscale, doffset
    for (const d of diffs) expect(d).toBeLessThan(2e-5);
  }, 60_000);

  it('our column- and item-split SIMD kernels give the one-thread result bit for bit, with the helper thread taking a share', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin/run-ts.mjs'), 'test/helpers/simd-split-run.ts'], {
      cwd: ROOT,
      timeout: 60_000,
    });
    const { threads, results } = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      threads: number;
      results: { name: string; same: boolean; calls: number; nonZero: boolean }[];
    };
    expect(threads).toBe(2);
    expect(results.map((r) => [r.name, r.same, r.nonZero])).toEqual(results.map((r) => [r.name, true, true]));
    // The large cases went to the helper once each; the small ones stayed on one thread.
    expect(results.map((r) => r.calls)).toEqual([1, 1, 1, 1, 0, 1, 1, 0]);
  }, 60_000);

  it('auto means the env var, else every core; an explicit count wins', () => {
    expect(resolveThreads(4, { [THREADS_ENV]: '2' })).toBe(4);
    expect(resolveThreads('auto', { [THREADS_ENV]: '2' })).toBe(2);
    expect(resolveThreads('auto', { [THREADS_ENV]: 'x' })).toBeGreaterThanOrEqual(1);
    expect(resolveThreads('auto', {})).toBeGreaterThanOrEqual(1);
  });
});
