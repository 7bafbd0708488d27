// The worker channel parses what it receives: every kind of request and message the two sides send passes, a
// diverging run's NaN and Infinity among them, and a malformed one is refused naming its type and field.
import { describe, expect, it, vi } from 'vitest';
import { ChannelError, fromWorker, parseWorkerMessage, parseWorkerRequest } from '../../main/engine/worker-messages';

describe('worker channel', () => {
  it('takes every request the supervisor sends', () => {
    const requests = [
      { type: 'start', runId: 3, configYaml: 'seed: 1', baseDir: '/d', outDir: '/d/runs/3', resume: false, dataDir: '/d' },
      { type: 'stop' },
      {
        type: 'embed',
        jobId: 'j1',
        request: { model: { kind: 'raw-pixels' }, target: { kind: 'dataset', csv: '/d/df.csv' }, out: '/d/e.bin', bs: 64, backend: 'auto' },
      },
      {
        type: 'embed',
        jobId: 'j2',
        request: {
          model: { kind: 'zoo', key: 'tiny_cnn', dir: '/z' },
          target: { kind: 'files', files: ['/a.png'] },
          out: '/o',
          bs: 8,
          backend: 'wasm',
        },
      },
      { type: 'project', jobId: 'j3', request: { file: '/e.bin', seed: 0 } },
      { type: 'import', jobId: 'j4', request: { src: '/m.onnx', dataDir: '/d', key: 'mine', inputSize: 224 } },
      { type: 'quality', jobId: 'j5', request: { csv: '/d/df.csv', file: '/e.bin', k: 10, options: { votes: 5 } } },
      { type: 'probe' },
    ];
    for (const r of requests) expect(parseWorkerRequest(r)).toEqual(r);
  });

  it('refuses a malformed request, naming its type and the field', () => {
    expect(() => parseWorkerRequest({ type: 'start', runId: 3 })).toThrow(ChannelError);
    expect(() => parseWorkerRequest({ type: 'embed', jobId: 'j', request: { model: { kind: 'gpu' } } })).toThrow(
      /type "embed".*request\.model/,
    );
    expect(() => parseWorkerRequest({ type: 'format-disk' })).toThrow(/type "format-disk"/);
    expect(() => parseWorkerRequest(null)).toThrow(ChannelError);
  });

  it("takes a diverging run's NaN and Infinity in step metrics, and refuses a message that is no message", () => {
    const metrics = {
      type: 'metrics',
      runId: 1,
      points: [{ step: 7, epoch: 0, values: { loss: Number.NaN, lr: Number.POSITIVE_INFINITY } }],
    };
    expect(parseWorkerMessage(metrics)).toEqual(metrics);
    expect(parseWorkerMessage({ type: 'status', runId: 1, status: 'failed', error: 'Training diverged' })).toMatchObject({
      status: 'failed',
    });
    expect(parseWorkerMessage({ type: 'job-progress', jobId: 'j', done: 3, total: 9 })).toMatchObject({ done: 3 });
    expect(() => parseWorkerMessage({ type: 'status', runId: 1, status: 'exploded' })).toThrow(/type "status"/);
    expect(() => parseWorkerMessage({ type: 'job-done', jobId: 'j', result: { file: '/e' } })).toThrow(/result\.count/);
  });

  it('hands the supervisor parsed messages, and ends a worker that sends a malformed one', () => {
    const seen: unknown[] = [];
    const kill = vi.fn();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const receive = fromWorker((m) => seen.push(m), kill);
    receive({ type: 'log', runId: 1, level: 'info', message: 'epoch 1' });
    receive({ type: 'log', runId: 1, level: 'shout', message: 'epoch 2' });
    expect(seen).toEqual([{ type: 'log', runId: 1, level: 'info', message: 'epoch 1' }]);
    expect(kill).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0]![0]).toMatch(/The supervisor got a malformed message \(type "log"\): level/);
    errors.mockRestore();
  });
});
