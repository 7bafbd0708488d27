import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiClient, BridgeSurface } from '../../shared/api';
import type { RunSummary } from '../../shared/schemas/run';
import { ClientError, ipcClient } from '../../renderer/src/api/client';
import { setApi } from '../../renderer/src/api';
import RunsPage from '../../renderer/src/pages/RunsPage.vue';
import ComparePage from '../../renderer/src/pages/ComparePage.vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import { trainingVerdict } from '../../renderer/src/format';

const router = () => createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { template: '<div/>' } }] });

function fakeClient(handlers: Record<string, (input: unknown) => unknown>): ApiClient & { listeners: Map<string, (p: unknown) => void> } {
  const listeners = new Map<string, (p: unknown) => void>();
  return {
    transport: 'web',
    listeners,
    call: vi.fn(async (method: string, input: unknown) => {
      const h = handlers[method];
      if (!h) throw new Error(`unexpected call ${method}`);
      return h(input);
    }) as ApiClient['call'],
    on: ((event: string, handler: (p: unknown) => void) => {
      listeners.set(event, handler);
      return () => listeners.delete(event);
    }) as ApiClient['on'],
  };
}

const run = (id: number, name: string, extra: Partial<RunSummary> = {}): RunSummary => ({
  id,
  name,
  status: 'finished',
  datasetCsv: '/data/df.csv',
  datasetDigest: null,
  datasetRoot: '/data',
  backend: 'wasm',
  createdAt: '2026-01-01T00:00:00Z',
  startedAt: '2026-01-01T00:00:00Z',
  endedAt: '2026-01-01T00:01:05Z',
  tags: ['baseline'],
  lastMetrics: { 'OVERALL/cmc/1': 0.8501 },
  best: { key: 'OVERALL/cmc/1', value: 0.8612, epoch: 3, untrained: null },
  baselines: [],
  ...extra,
});

beforeEach(() => setActivePinia(createPinia()));

describe('Runs page', () => {
  it('shows what the store returns and refreshes when runs change', async () => {
    let runs = [run(2, 'adam-lr1e-3')];
    const client = fakeClient({ 'runs.list': () => runs });
    setApi(client);
    const wrapper = mount(RunsPage, { global: { plugins: [createPinia(), router()] } });
    await flushPromises();
    const text = wrapper.get('[data-testid=runs-table]').text();
    expect(text).toContain('adam-lr1e-3');
    expect(text).toContain('cmc/1 0.861');
    expect(text).toContain('1m 5s');

    runs = [run(3, 'sgd'), ...runs];
    client.listeners.get('runs.changed')!({ runId: 3 });
    await flushPromises();
    expect(wrapper.findAll('tbody tr')).toHaveLength(2);
  });

  it("sorts Best by each run's checkpoint metric in that metric's direction", async () => {
    const runs = [
      run(1, 'cmc-low', { best: { key: 'OVERALL/cmc/1', value: 0.7, epoch: 1, untrained: null }, lastMetrics: { 'OVERALL/cmc/1': 0.95 } }),
      run(2, 'cmc-high', { best: { key: 'OVERALL/cmc/1', value: 0.9, epoch: 4, untrained: null }, lastMetrics: { 'OVERALL/cmc/1': 0.5 } }),
      run(3, 'fnmr-low', { best: { key: 'OVERALL/fnmr@fmr/0.1', value: 0.05, epoch: 2, untrained: null } }),
      run(4, 'untrained', { best: null }),
      run(5, 'fnmr-high', { best: { key: 'OVERALL/fnmr@fmr/0.1', value: 0.2, epoch: 2, untrained: null } }),
    ];
    setApi(fakeClient({ 'runs.list': () => runs }));
    const wrapper = mount(RunsPage, { global: { plugins: [createPinia(), router()] } });
    await flushPromises();
    await wrapper
      .findAll('th')
      .find((th) => th.text().startsWith('Best'))!
      .find('button')
      .trigger('click');
    expect(
      wrapper
        .findAll('th')
        .find((th) => th.text().startsWith('Best'))!
        .attributes('aria-sort'),
    ).toBe('descending');
    const names = () => wrapper.findAll('tbody tr').map((tr) => tr.findAll('td')[2]!.text());
    const best = () => wrapper.findAll('tbody tr').map((tr) => tr.findAll('td')[8]!.text());
    // Best first by the checkpoint's value, not the last one: CMC 0.9 over 0.7; an FNMR of 0.05 over 0.2 (lower is
    // better); runs without a best checkpoint last.
    expect(names()).toEqual(['cmc-high', 'cmc-low', 'fnmr-low', 'fnmr-high', 'untrained']);
    expect(best()).toEqual(['cmc/1 0.900', 'cmc/1 0.700', 'fnmr@fmr/0.1 0.050', 'fnmr@fmr/0.1 0.200', '—']);
  });

  it('shows when each run started and sorts by it, newest first; the best epoch is counted from 1', async () => {
    const at = (iso: string | null) => ({ startedAt: iso, endedAt: iso });
    const runs = [
      run(1, 'older', at('2026-01-01T09:00:00Z')),
      run(2, 'queued', at(null)),
      run(3, 'newer', at('2026-01-03T10:30:00Z')),
      run(4, 'oldest', at('2025-12-30T08:00:00Z')),
    ];
    setApi(fakeClient({ 'runs.list': () => runs }));
    const wrapper = mount(RunsPage, { global: { plugins: [createPinia(), router()] } });
    await flushPromises();
    const started = wrapper.findAll('th').find((th) => th.text().startsWith('Started'))!;
    await started.find('button').trigger('click');
    expect(started.attributes('aria-sort')).toBe('descending');
    const names = () => wrapper.findAll('tbody tr').map((tr) => tr.findAll('td')[2]!.text());
    expect(names()).toEqual(['newer', 'older', 'oldest', 'queued']);
    const cells = wrapper.findAll('[data-testid=started]').map((td) => td.text());
    expect(cells[3]).toBe('—');
    expect(cells[0]).toMatch(/^(Jan 3|Jan 3, 2026), \d\d:30$/);
    expect(wrapper.find('tbody tr td[title^="best checkpoint"]').attributes('title')).toBe('best checkpoint: OVERALL/cmc/1 at epoch 4');
  });

  it("says whether training beat the untrained network, in the metric's own direction", () => {
    const cmc = { key: 'OVERALL/cmc/1', epoch: 3 };
    expect(trainingVerdict({ ...cmc, value: 0.86, untrained: 0.88 })).toBe('worse');
    expect(trainingVerdict({ ...cmc, value: 0.88, untrained: 0.88 })).toBe('worse'); // level: training bought nothing
    expect(trainingVerdict({ ...cmc, value: 0.9, untrained: 0.88 })).toBe('better');
    const fnmr = { key: 'OVERALL/fnmr@fmr/0.1', epoch: 3 };
    expect(trainingVerdict({ ...fnmr, value: 0.05, untrained: 0.2 })).toBe('better');
    expect(trainingVerdict({ ...fnmr, value: 0.3, untrained: 0.2 })).toBe('worse');
    expect(trainingVerdict({ ...cmc, value: 0.9, untrained: null })).toBeNull();
    expect(trainingVerdict(null)).toBeNull();
  });

  it('marks a run whose best checkpoint does not beat its strongest baseline, in the metric’s direction', async () => {
    const raw = (v: number) => ({
      name: 'raw_pixels',
      label: 'raw pixels (28×28 grey, L2-normalised)',
      metrics: { 'OVERALL/cmc/1': v },
      seconds: 1,
    });
    const zoo = { name: 'zoo:m', label: 'm frozen', metrics: { 'OVERALL/cmc/1': 0.5 }, seconds: 9 };
    const fnmr = (v: number) => ({ name: 'raw_pixels', label: 'raw pixels', metrics: { 'OVERALL/fnmr@fmr/0.1': v }, seconds: 1 });
    const runs = [
      run(1, 'loses', { baselines: [raw(0.9)] }),
      run(2, 'beats', { baselines: [raw(0.8)] }),
      run(3, 'loses-to-zoo', { best: { key: 'OVERALL/cmc/1', value: 0.45, epoch: 1, untrained: null }, baselines: [raw(0.4), zoo] }),
      run(4, 'fnmr-beats', { best: { key: 'OVERALL/fnmr@fmr/0.1', value: 0.05, epoch: 2, untrained: null }, baselines: [fnmr(0.2)] }),
      run(5, 'fnmr-loses', { best: { key: 'OVERALL/fnmr@fmr/0.1', value: 0.3, epoch: 2, untrained: null }, baselines: [fnmr(0.2)] }),
    ];
    setApi(fakeClient({ 'runs.list': () => runs }));
    const wrapper = mount(RunsPage, { global: { plugins: [createPinia(), router()] } });
    await flushPromises();
    const marked = Object.fromEntries(
      wrapper
        .findAll('tbody tr')
        .map((tr) => [
          tr.findAll('td')[2]!.text(),
          tr.find('[data-testid=loses-to-baseline]').exists() ? tr.get('[data-testid=loses-to-baseline]').text() : null,
        ]),
    );
    expect(marked).toEqual({
      loses: 'below raw pixels',
      beats: null,
      'loses-to-zoo': 'below m frozen',
      'fnmr-beats': null,
      'fnmr-loses': 'below raw pixels',
    });
  });

  it('says so when there are no runs', async () => {
    setApi(fakeClient({ 'runs.list': () => [] }));
    const wrapper = mount(RunsPage, { global: { plugins: [createPinia(), router()] } });
    await flushPromises();
    expect(wrapper.get('[data-testid=runs-empty]').text()).toContain('No runs yet');
  });
});

describe('IPC client', () => {
  it('unwraps results and raises ClientError with the API error', async () => {
    const bridge: BridgeSurface = {
      invoke: vi.fn(async (method: string) =>
        method === 'app.info'
          ? { ok: true as const, result: { name: 'x' } }
          : { ok: false as const, error: { code: 'not_found' as const, message: 'No run with id 3' } },
      ),
      subscribe: vi.fn(() => () => {}),
    };
    const client = ipcClient(bridge);
    expect(client.transport).toBe('ipc');
    await expect(client.call('app.info', {})).resolves.toEqual({ name: 'x' });
    const err = await client.call('runs.get', { id: 3 }).catch((e) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err.shape.code).toBe('not_found');
  });
});

describe('Run detail page', () => {
  it('numbers epochs from 1, as the live view does: the best and each checkpoint (issue #31, item 8)', async () => {
    const { default: RunDetailPage } = await import('../../renderer/src/pages/RunDetailPage.vue');
    const detail = {
      ...run(4, 'four', { best: { key: 'OVERALL/cmc/1', value: 0.8612, epoch: 0, untrained: 0.5 } }),
      configYaml: 'max_epochs: 3\n',
      error: null,
      notes: '',
      parentRunId: null,
    };
    setApi(
      fakeClient({
        'runs.get': () => detail,
        'runs.metrics': () => ({
          series: {
            'OVERALL/cmc/1': [
              [0, -1, 0.5],
              [2, 0, 0.8612],
              [4, 1, 0.85],
            ],
          },
        }),
        'runs.checkpoints': () => [
          { kind: 'best', path: '/runs/4/checkpoints/best', epoch: 0, metricKey: 'OVERALL/cmc/1', metricValue: 0.8612 },
          { kind: 'last', path: '/runs/4/checkpoints/last', epoch: 2, metricKey: 'OVERALL/cmc/1', metricValue: 0.85 },
        ],
        'runs.log': () => ({ text: '' }),
        'runs.leaks': () => null,
        'runs.list': () => [],
      }),
    );
    const r = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/runs/:id', component: { template: '<div/>' } },
        { path: '/:p(.*)*', component: { template: '<div/>' } },
      ],
    });
    await r.push('/runs/4');
    const w = mount(RunDetailPage, { global: { plugins: [r], stubs: { LineChart: true } } });
    await flushPromises();
    await flushPromises();
    const text = w.text();
    // Stored 0-based: the best was kept after the first epoch, the last after the third.
    expect(text).toContain('(epoch 1)');
    const cells = w.findAll('td').map((c) => c.text());
    expect(cells).toContain('3');
    expect(cells).not.toContain('0');
  });
});

describe('Compare page', () => {
  it("compares each run's last value or its best over training, in each metric's direction", async () => {
    // Run 1 peaks at epoch 1 and falls back; run 2 climbs. By the last value run 2 leads cmc; by the best, run 1.
    const cmc = (values: number[]) => [[0, -1, 0.9] as const, ...values.map((v, e) => [(e + 1) * 10, e, v] as const)];
    const series = {
      1: {
        'OVERALL/cmc/1': cmc([0.7, 0.85, 0.6]),
        loss: [
          [10, 0, 0.5],
          [20, 1, 0.2],
          [30, 2, 0.4],
        ],
      },
      2: {
        'OVERALL/cmc/1': cmc([0.7, 0.75, 0.8]),
        loss: [
          [10, 0, 0.6],
          [20, 1, 0.3],
          [30, 2, 0.25],
        ],
      },
    } as Record<number, Record<string, (readonly [number, number, number])[]>>;
    setApi(
      fakeClient({
        'runs.compare': () => ({
          runs: [run(1, 'peaks'), run(2, 'climbs')],
          configDiff: [],
          metrics: [
            { key: 'OVERALL/cmc/1', values: [0.6, 0.8] },
            { key: 'loss', values: [0.4, 0.25] },
          ],
        }),
        'runs.metrics': (input) => ({ series: series[(input as { id: number }).id] }),
      }),
    );
    const r = router();
    await r.push('/compare?ids=1,2');
    const wrapper = mount(ComparePage, { global: { plugins: [createPinia(), r], stubs: { LineChart: true } } });
    await flushPromises();
    const cells = () => wrapper.findAll('[data-testid=compare-metrics] tbody tr').map((tr) => tr.findAll('td').map((td) => td.text()));
    const hits = () => wrapper.findAll('[data-testid=compare-metrics] td.hit').map((td) => td.text());
    expect(cells()).toEqual([
      ['cmc/1', '0.6000', '0.8000'],
      ['loss', '0.4000', '0.2500'],
    ]);
    expect(hits()).toEqual(['0.8000', '0.2500']);
    await wrapper.find('button[data-by=best]').trigger('click');
    // The untrained network's 0.9 at epoch -1 is no run's best; loss is best where lowest.
    expect(cells()).toEqual([
      ['cmc/1', '0.8500', '0.8000'],
      ['loss', '0.2000', '0.2500'],
    ]);
    expect(hits()).toEqual(['0.8500', '0.2000']);
    expect(wrapper.find('h2').text()).toContain('Best metrics');
  });
});
