import { describe, expect, it, vi } from 'vitest';
import { ApiError, METHOD_NAMES, methods } from '../../shared/api';
import { createDispatcher, EventHub, type Handlers } from '../../main/api/dispatch';
import { createHandlers } from '../../main/services/handlers';
import type { RunStore } from '../../main/store/runs';
import type { TrainingSupervisor } from '../../main/services/training';
import type { FileAccess } from '../../main/services/file-access';
import type { WizardService } from '../../main/services/wizard';
import type { EmbeddingSets } from '../../main/services/embedding-sets';
import type { WorkerJobs } from '../../main/services/embedding';
import type { Explorer } from '../../main/services/explorer';
import type { ZooService } from '../../main/services/zoo';

function handlersWith(overrides: Partial<Handlers>): Handlers {
  const fail = async () => {
    throw new Error('not used in this test');
  };
  return Object.fromEntries(METHOD_NAMES.map((m) => [m, overrides[m] ?? fail])) as unknown as Handlers;
}

describe('dispatcher', () => {
  it('refuses unknown methods, including prototype keys', async () => {
    const dispatch = createDispatcher(handlersWith({}));
    for (const name of ['nope', 'toString', '__proto__', 42]) {
      const res = await dispatch(name, {});
      expect(res).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    }
  });

  it('validates input against the contract and names the offending field', async () => {
    const handler = vi.fn(async () => ({}) as never);
    const dispatch = createDispatcher(handlersWith({ 'runs.get': handler }));
    const res = await dispatch('runs.get', { id: 'seven' });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.code).toBe('invalid_input');
    expect(res.error.issues?.[0]?.path).toBe('id');
    expect(res.error.message).toContain('runs.get');
    expect(handler).not.toHaveBeenCalled();
  });

  it('passes validated input with defaults applied', async () => {
    const handler = vi.fn(async () => ({ total: 0, rows: [] }));
    const dispatch = createDispatcher(handlersWith({ 'datasets.rows': handler }));
    const res = await dispatch('datasets.rows', { csvPath: '/x/df.csv' });
    expect(res).toEqual({ ok: true, result: { total: 0, rows: [] } });
    expect(handler).toHaveBeenCalledWith({ csvPath: '/x/df.csv', offset: 0, limit: 50 });
  });

  it('turns ApiError into its shape and other errors into "failed" without a stack', async () => {
    const log = vi.fn();
    const dispatch = createDispatcher(
      handlersWith({
        'runs.get': async () => {
          throw new ApiError('not_found', 'No run with id 3');
        },
        'zoo.list': async () => {
          throw new TypeError('boom');
        },
      }),
      log,
    );
    expect(await dispatch('runs.get', { id: 3 })).toEqual({ ok: false, error: { code: 'not_found', message: 'No run with id 3' } });
    expect(await dispatch('zoo.list', {})).toEqual({ ok: false, error: { code: 'failed', message: 'boom' } });
    expect(log).toHaveBeenCalledOnce();
  });

  it('has a service for every contract method and nothing else', () => {
    const handlers = createHandlers({
      dataDir: '/tmp',
      store: {} as RunStore,
      transport: 'web',
      training: {} as TrainingSupervisor,
      wizard: {} as WizardService,
      jobs: {} as WorkerJobs,
      sets: {} as EmbeddingSets,
      explorer: {} as Explorer,
      zoo: {} as ZooService,
      files: {} as FileAccess,
    });
    expect(Object.keys(handlers).sort()).toEqual(Object.keys(methods).sort());
  });
});

describe('EventHub', () => {
  it('delivers to subscribers until they unsubscribe', () => {
    const hub = new EventHub();
    const seen: unknown[] = [];
    const off = hub.subscribe((event, payload) => seen.push([event, payload]));
    hub.emit('runs.changed', { runId: 1 });
    off();
    hub.emit('runs.changed', { runId: 2 });
    expect(seen).toEqual([['runs.changed', { runId: 1 }]]);
  });
});
