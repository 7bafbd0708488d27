import path from 'node:path';
import type { Page } from 'playwright-core';
import YAML from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, showScreen, startBrowserSession } from '../helpers/browser';
import { SAMPLE_CSV } from '../helpers/tmp';

let session: BrowserSession;
let page: Page;
const ids: number[] = [];

/** Three finished runs with real-looking series: lr differs, so do their curves. */
async function seed(web: BrowserSession['web']) {
  const store = web.core.store;
  const ds = await store.registerDataset('fashion-mnist-mini', SAMPLE_CSV, path.dirname(SAMPLE_CSV));
  for (const [i, lr] of [0.001, 0.003, 0.0003].entries()) {
    const config = {
      seed: 42,
      dataset: SAMPLE_CSV,
      max_epochs: 5,
      optimizer: { name: 'adam', args: { lr } },
      sampler: { name: 'balance', args: { n_labels: 5, n_instances: 8 } },
    };
    const id = await store.createRun({ name: `adam-lr${lr}`, configYaml: YAML.stringify(config), datasetId: ds });
    await store.setStatus(id, 'running', { backend: 'wasm 4.22.0', pid: process.pid });
    const rows = [];
    for (let step = 1; step <= 50; step++) {
      rows.push({ step, epoch: Math.floor((step - 1) / 10), key: 'loss', value: 0.2 * Math.exp(-step * lr * 30) + 0.01 * i });
      rows.push({ step, epoch: Math.floor((step - 1) / 10), key: 'active_tri', value: Math.exp(-step / (20 + i * 10)) });
    }
    // The untrained network's validation (epoch −1), then one per epoch, overall and for one category.
    rows.push({ step: 0, epoch: -1, key: 'OVERALL/cmc/1', value: 0.7 });
    for (let e = 0; e < 5; e++) {
      rows.push({ step: (e + 1) * 10, epoch: e, key: 'OVERALL/cmc/1', value: 0.8 + 0.01 * e + 0.02 * i });
      rows.push({ step: (e + 1) * 10, epoch: e, key: 'OVERALL/map/10', value: 0.75 + 0.015 * e + 0.01 * i });
      rows.push({ step: (e + 1) * 10, epoch: e, key: 'clothing/cmc/1', value: 0.6 + 0.02 * e });
    }
    await store.logMetrics(id, rows);
    await store.recordCheckpoint(id, {
      kind: 'best',
      path: `/x/${id}/best`,
      epoch: 4,
      metricKey: 'OVERALL/cmc/1',
      metricValue: 0.84 + 0.02 * i,
    });
    await store.setStatus(id, 'finished');
    await store.update(id, { tags: i === 0 ? ['baseline'] : [] });
    ids.push(id);
  }
}

beforeAll(async () => {
  session = await startBrowserSession('ms-browser-runs-', ({ web }) => seed(web));
  page = session.page;
});

afterAll(async () => {
  await session?.close();
});
// Each step leaves no console error, page error or failed request behind (checked per step, not once at the end).
afterEach(() => expect(session.errors.splice(0)).toEqual([]));

describe('Runs, run detail and compare', () => {
  it('lists, sorts and filters the runs', async () => {
    await page.goto(`${session.web.server.url}#/runs`);
    const table = page.locator('[data-testid=runs-table]');
    // The header renders before runs.list answers: wait for the rows themselves.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=runs-table] tbody tr').length === 3);
    expect(await table.locator('tbody tr').count()).toBe(3);
    await page.getByText('Best').click(); // sort by best CMC, highest first
    expect(await table.locator('tbody tr').first().textContent()).toContain('adam-lr0.0003');
    await page.fill('input[name=search]', 'baseline');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=runs-table] tbody tr').length === 1);
    await page.fill('input[name=search]', '');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=runs-table] tbody tr').length === 3);
    await showScreen(page, '7-runs-table');
  });

  it('shows a run with a chart per logged series, on step or epoch axes', async () => {
    await page.getByRole('link', { name: 'adam-lr0.001' }).click();
    const charts = page.locator('[data-testid=run-charts] .chart');
    await charts.first().locator('canvas').waitFor();
    const titles = await charts.evaluateAll((els) => els.map((e) => e.getAttribute('data-title')));
    expect(titles).toEqual(expect.arrayContaining(['loss', 'active_tri', 'OVERALL cmc', 'OVERALL map']));
    // Loss is drawn smoothed beside its raw values, both named in the legend (which also gives both on hover).
    const legend = (title: string) =>
      page.locator(`[data-testid=run-charts] .chart[data-title="${title}"] .u-legend .u-label`).allTextContents();
    expect(await legend('loss')).toEqual(expect.arrayContaining(['loss (raw)', 'loss (smoothed 0.6)']));
    expect(await legend('OVERALL cmc')).not.toEqual(expect.arrayContaining([expect.stringContaining('smoothed')])); // validation: as logged
    await page.locator('.ctl input[type=range]').fill('0');
    await page.waitForFunction(
      () => !document.querySelector('[data-testid=run-charts] .chart[data-title="loss"]')?.textContent?.includes('smoothed'),
    );
    expect(await legend('loss')).toContain('loss');
    await page.locator('.ctl input[type=range]').fill('0.6');
    await page.selectOption('.ctl select', 'epoch');
    await page.locator('pre.config').getByText('lr: 0.001').waitFor();
    await showScreen(page, '8-run-detail');
    await page.fill('input[name=name]', 'renamed-run');
    await page.click('form button[type=submit]');
    await page.getByRole('heading', { name: /renamed-run/ }).waitFor();
  });

  it('puts loss and the checkpoint metric first with the untrained line, folds categories, logs loss, exports CSV', async () => {
    await page.goto(`${session.web.server.url}#/runs/${ids[0]}`);
    const charts = page.locator('[data-testid=run-charts] .chart');
    await charts.first().locator('canvas').waitFor();
    const titles = await charts.evaluateAll((els) => els.map((e) => e.getAttribute('data-title')));
    expect(titles.slice(0, 2)).toEqual(['loss', 'OVERALL cmc']);
    expect(titles).not.toContain('clothing cmc');
    const legend = (title: string) => page.locator(`.chart[data-title="${title}"] .u-legend .u-label`).allTextContents();
    // The best checkpoint is marked on its metric's chart, at the epoch the store says (counted from 1).
    const best = (await session.web.core.store.checkpoints(ids[0]!)).find((c) => c.kind === 'best')!;
    expect((await legend('OVERALL cmc')).slice(1)).toEqual([
      'OVERALL/cmc/1',
      `best checkpoint (epoch ${best.epoch + 1})`,
      'untrained network',
    ]);
    // Per-category charts sit folded under their own heading.
    const folded = page.locator('[data-testid=category-charts]');
    expect(await folded.locator('summary').textContent()).toBe('Per category (1 chart)');
    await folded.locator('summary').click();
    await folded.locator('.chart[data-title="clothing cmc"] canvas').waitFor();
    // Drag across a chart to zoom in on its steps; a double-click shows the whole run again.
    const over = page.locator('.chart[data-title="loss"] .u-over');
    await over.scrollIntoViewIfNeeded();
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const zoomed = page.locator('.chart[data-title="loss"][data-zoom]');
    await zoomed.waitFor();
    const [from, to] = (await zoomed.getAttribute('data-zoom'))!.split(':').map(Number);
    const steps = (await session.web.core.store.metricSeries(ids[0]!, ['loss'])).loss!.map(([step]) => step);
    expect(from).toBeGreaterThan(steps[0]!);
    expect(to).toBeLessThan(steps.at(-1)!);
    await showScreen(page, '17b-run-chart-zoomed');
    await over.dblclick();
    await page.locator('.chart[data-title="loss"]:not([data-zoom])').waitFor();
    await page.check('input[name=log-loss]');
    await page.locator('.chart[data-title="loss"][data-log]').waitFor();
    const download = page.waitForEvent('download');
    await page.click('[data-testid=export-csv]');
    const file = await (await download).path();
    const { readFileSync } = await import('node:fs');
    const csv = readFileSync(file, 'utf8').trim().split('\n');
    const stored = await session.web.core.store.metricSeries(ids[0]!);
    expect(csv[0]).toBe('key,step,epoch,value');
    expect(csv).toHaveLength(1 + Object.values(stored).reduce((n, s) => n + s.length, 0));
    expect(csv).toContain('OVERALL/cmc/1,0,-1,0.7');
    expect(csv).toContain(`loss,50,4,${stored.loss!.at(-1)![2]}`);
    await showScreen(page, '17-run-detail-charts');
  });

  it('compares runs: overlaid charts, only the differing config keys, final metrics', async () => {
    await page.goto(`${session.web.server.url}#/runs`);
    await page.locator('[data-testid=runs-table]').waitFor();
    await page.check(`input[aria-label="select run ${ids[0]}"]`);
    await page.check(`input[aria-label="select run ${ids[1]}"]`);
    await page.click('[data-testid=compare]');
    const diff = page.locator('[data-testid=config-diff]');
    await diff.waitFor();
    const diffText = await diff.textContent();
    expect(diffText).toContain('optimizer.args.lr');
    expect(diffText).not.toContain('sampler');
    expect(await page.locator('[data-testid=compare-metrics] tbody tr').count()).toBe(2);
    await page.locator('[data-testid=compare-charts] canvas').first().waitFor();
    expect(await page.locator('[data-testid=compare-charts] .chart').count()).toBe(3);
    // Each run's last value sits in the legend, readable without hovering; the better run's cell is marked.
    const labels = await page
      .locator('[data-testid=compare-charts] .chart[data-title="OVERALL/cmc/1"] .u-legend .u-label')
      .allTextContents();
    expect(labels.slice(1)).toEqual([`#${ids[0]} renamed-run: 0.8400`, `#${ids[1]} adam-lr0.003: 0.8600`]);
    expect(await page.locator('[data-testid=compare-metrics] td.hit').allTextContents()).toEqual(['0.8600', '0.8200']);
    // The hyper-parameter that differs, against each run's best checkpoint metric: one point per run.
    const hyper = page.locator('[data-testid=hyper-plot] .chart');
    await hyper.locator('canvas').waitFor();
    expect(await hyper.getAttribute('data-title')).toBe('best cmc/1 by optimizer.args.lr');
    expect((await hyper.locator('.u-legend .u-label').allTextContents()).slice(1)).toEqual([
      `#${ids[0]} renamed-run`,
      `#${ids[1]} adam-lr0.003`,
    ]);
    await showScreen(page, '9-compare');
  });

  it('deletes a run after asking', async () => {
    await page.goto(`${session.web.server.url}#/runs/${ids[2]}`);
    page.once('dialog', (d) => void d.accept());
    await page.click('[data-testid=delete]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=runs-table] tbody tr').length === 2);
    expect(await session.web.core.store.getRun(ids[2]!)).toBeNull();
  });
});
