import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import type { ApiClient } from '../../shared/api';
import type { TrainEvent } from '../../shared/schemas/events';
import { setApi } from '../../renderer/src/api';
import { useRunLive } from '../../renderer/src/composables/run-live';
import { useTrainEventsStore } from '../../renderer/src/stores/train-events';
import RunDetailPage from '../../renderer/src/pages/RunDetailPage.vue';

/** A client whose events can have many listeners, so a test can count what a page leaves subscribed. */
function client(handlers: Record<string, (input: any) => unknown>) {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const c: ApiClient = {
    transport: 'web',
    call: vi.fn(async (method: string, input: unknown) => handlers[method]!(input)) as ApiClient['call'],
    on: ((event: string, handler: (p: unknown) => void) => {
      const set = listeners.get(event) ?? listeners.set(event, new Set()).get(event)!;
      set.add(handler);
      return () => set.delete(handler);
    }) as ApiClient['on'],
  };
  const emit = (event: string, payload: unknown) => {
    for (const l of [...(listeners.get(event) ?? [])]) l(payload);
  };
  const count = (event: string) => listeners.get(event)?.size ?? 0;
  return { c, emit, count };
}

const detail = (id: number, status = 'running') => ({
  id,
  name: `run ${id}`,
  status,
  datasetCsv: '/d/df.csv',
  datasetDigest: null,
  datasetRoot: '/d',
  backend: 'wasm',
  createdAt: '2026-01-01T00:00:00Z',
  startedAt: '2026-01-01T00:00:00Z',
  endedAt: null,
  tags: [],
  lastMetrics: {},
  baselines: [],
  configYaml: 'x: 1',
  notes: '',
  error: null,
  parentRunId: null,
});
const metrics = (runId: number, points: [number, number, Record<string, number>][]): TrainEvent => ({
  type: 'metrics',
  runId,
  points: points.map(([step, epoch, values]) => ({ step, epoch, values })),
});

/** Run 7 with `stored` series behind a client; mountHost() then mounts useRunLive(7) and waits for it to load. */
function liveClient(stored: Record<string, [number, number, number][]>) {
  const api = client({ 'runs.get': ({ id }) => detail(id), 'runs.metrics': () => ({ series: stored }) });
  setApi(api.c);
  useTrainEventsStore().ensureSubscribed();
  return { api, mountHost: mountRun7 };
}

/** Mounts a component that follows run 7 with useRunLive, once its first reads have answered. */
async function mountRun7() {
  let live!: ReturnType<typeof useRunLive>;
  const Host = defineComponent({
    setup: () => {
      live = useRunLive(ref(7));
      return () => h('div');
    },
  });
  const w = mount(Host);
  await flushPromises();
  return { w, live };
}

beforeEach(() => setActivePinia(createPinia()));

describe('useRunLive', () => {
  it('replays events that arrived before it attached, appends live ones once, and merges with the stored series', async () => {
    const { api, mountHost } = liveClient({
      loss: [
        [1, 0, 0.9],
        [2, 0, 0.8],
      ],
    });
    // Step 2 is already stored; step 3 arrives before the page attaches (e.g. before train.start returned).
    api.emit(
      'train.events',
      metrics(7, [
        [2, 0, { loss: 0.8 }],
        [3, 0, { loss: 0.7 }],
      ]),
    );
    api.emit('train.events', metrics(8, [[1, 0, { loss: 5 }]])); // another run: not ours
    const { w, live } = await mountHost();
    api.emit('train.events', metrics(7, [[4, 1, { loss: 0.6 }]]));
    api.emit('train.events', { type: 'status', runId: 7, status: 'finished' });
    expect(live.series.value.loss!.map(([s]) => s)).toEqual([1, 2, 3, 4]);
    expect(live.run.value!.status).toBe('finished');
    w.unmount();
    api.emit('train.events', metrics(7, [[5, 1, { loss: 0.5 }]]));
    expect(live.series.value.loss).toHaveLength(4);
  });
});

describe('useRunLive when reads of the run answer out of order', () => {
  it('keeps the newest answer: an older read that lands last does not put back a replaced status', async () => {
    // The page's own first read answers at once; later reads wait until the test answers them.
    const answers: ((status: string) => void)[] = [];
    let reads = 0;
    const api = client({
      'runs.get': ({ id }) => (reads++ === 0 ? detail(id) : new Promise((r) => answers.push((s) => r(detail(id, s))))),
      'runs.metrics': () => ({ series: {} }),
    });
    setApi(api.c);
    useTrainEventsStore().ensureSubscribed();
    const { w, live } = await mountRun7();
    // Two changes of run 7: the first read was taken while it ran, the second after it stopped.
    api.emit('runs.changed', { runId: 7 });
    api.emit('runs.changed', { runId: 7 });
    await flushPromises();
    expect(answers).toHaveLength(2);
    answers[1]!('stopped');
    await flushPromises();
    api.emit('train.events', { type: 'status', runId: 7, status: 'stopped' });
    answers[0]!('running');
    await flushPromises();
    expect(live.run.value!.status).toBe('stopped');
    w.unmount();
  });
});

describe('useRunLive after the event stream reconnected', () => {
  it('reads the run and its series again, keeping the page on screen meanwhile', async () => {
    let status = 'running';
    let stored: Record<string, [number, number, number][]> = { loss: [[1, 0, 0.9]] };
    const api = client({ 'runs.get': ({ id }) => detail(id, status), 'runs.metrics': () => ({ series: stored }) });
    setApi(api.c);
    const { w, live } = await mountRun7();
    // Missed while the stream was down: two more steps and the end.
    status = 'stopped';
    stored = { loss: [...stored.loss!, [2, 0, 0.8], [3, 1, 0.7]] };
    api.emit('runs.changed', { runId: null });
    expect(live.run.value!.status).toBe('running');
    await flushPromises();
    expect(live.run.value!.status).toBe('stopped');
    api.emit('train.events', metrics(7, [[3, 1, { loss: 0.7 }]]));
    expect(live.series.value.loss!.map(([s]) => s)).toEqual([1, 2, 3]);
    w.unmount();
  });
});

describe('useRunLive on resume', () => {
  it('drops the points past the checkpoint a resumed run starts from, then takes the replayed steps', async () => {
    const { api, mountHost } = liveClient({
      loss: [
        [1, 0, 0.9],
        [2, 0, 0.8],
        [3, 1, 0.75],
      ],
      'OVERALL/cmc/1': [[2, 0, 0.5]],
    });
    const { w, live } = await mountHost();
    api.emit('train.events', { type: 'resumed', runId: 7, epoch: 0, step: 2 });
    expect(live.series.value.loss!.map(([s]) => s)).toEqual([1, 2]);
    expect(live.series.value['OVERALL/cmc/1']).toEqual([[2, 0, 0.5]]);
    api.emit('train.events', metrics(7, [[3, 1, { loss: 0.7 }]]));
    expect(live.series.value.loss).toEqual([
      [1, 0, 0.9],
      [2, 0, 0.8],
      [3, 1, 0.7],
    ]);
    w.unmount();
  });
});

describe('Run detail page', () => {
  it('leaves no listener behind after visits, and offers Stop while the run trains', async () => {
    const api = client({
      'runs.get': ({ id }) => detail(id),
      'runs.metrics': () => ({ series: {} }),
      'runs.checkpoints': () => [],
      'runs.log': () => ({ text: '' }),
      'train.stop': () => ({ stopping: true }),
    });
    setApi(api.c);
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/runs/:id', component: RunDetailPage },
        { path: '/:p(.*)*', component: { template: '<div/>' } },
      ],
    });
    const baseline = { changed: api.count('runs.changed') };
    for (let visit = 0; visit < 3; visit++) {
      await router.push('/runs/3');
      const w = mount({ template: '<RouterView />' }, { global: { plugins: [router] } });
      await flushPromises();
      expect(api.count('runs.changed')).toBe(baseline.changed + 1);
      if (visit === 0) {
        await w.get('[data-testid=stop]').trigger('click');
        expect(api.c.call).toHaveBeenCalledWith('train.stop', { runId: 3 });
      }
      w.unmount();
      expect(api.count('runs.changed')).toBe(baseline.changed);
    }
  });
});
