import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, showScreen, startBrowserSession, yamlEditor } from '../helpers/browser';

let session: BrowserSession;
let page: Page;

beforeAll(async () => {
  session = await startBrowserSession('ms-browser-train-', undefined, { width: 1280, height: 1000 });
  page = session.page;
});

afterAll(async () => {
  await session?.close();
});
// Each step leaves no console error, page error or failed request behind (checked per step, not once at the end).
afterEach(() => expect(session.errors.splice(0)).toEqual([]));

describe('training from the UI', () => {
  it('flags an invalid config by key path and refuses to start', async () => {
    await page.goto(`${session.web.server.url}#/train`);
    await page.locator('select[name=recipe]').selectOption('fashion-mnist-mini');
    const editor = yamlEditor(page);
    await editor.content.waitFor();
    const yaml = await editor.value();
    await editor.fill(yaml.replace('max_epochs: 30', 'max_epochs: -2'));
    await page.locator('[data-testid=config-issues]').waitFor();
    expect(await page.locator('[data-testid=config-issues]').textContent()).toContain('max_epochs');
    // The problem is marked at its line in the editor and named by line in the list.
    const line = yaml.split('\n').findIndex((l) => l.startsWith('max_epochs:')) + 1;
    expect(await page.locator('[data-testid=config-issues]').textContent()).toContain(`line ${line} · max_epochs`);
    await page.locator('[data-testid=yaml-editor] .cm-lint-marker-error').waitFor();
    expect(await page.locator('[data-testid=yaml-editor] .cm-lint-marker-error').count()).toBe(1);
    expect(await page.locator('[data-testid=start]').isDisabled()).toBe(true);
    await editor.fill(yaml.replace('max_epochs: 30', 'max_epochs: 3').replace('valid_period: 5', 'valid_period: 1'));
    await page.getByText('Config is valid.').waitFor();
  });

  it('the form edits the same config: a field changes the YAML, a bad value is shown at its field, the plan follows', async () => {
    const editor = yamlEditor(page);
    const form = page.locator('[data-testid=config-form]');
    const plan = page.locator('[data-testid=train-plan]');
    await plan.waitFor();
    const batch = async () => (await plan.locator('div', { hasText: 'batch' }).first().textContent())!;
    // The sample has 5 train labels: 6 per batch cannot be drawn, and the form says so at that field.
    await form.locator('[name="sampler.args.n_labels"]').fill('6');
    await form.locator('[name="sampler.args.n_labels"]').dispatchEvent('change');
    await form.locator('label.bad', { hasText: 'n_labels <= 5' }).waitFor();
    expect(await editor.value()).toMatch(/n_labels: 6/);
    expect(await page.locator('[data-testid=start]').isDisabled()).toBe(true);
    await form.locator('[name="sampler.args.n_labels"]').fill('2');
    await form.locator('[name="sampler.args.n_labels"]').dispatchEvent('change');
    await page.getByText('Config is valid.').waitFor();
    const nInstances = Number(/n_instances: (\d+)/.exec(await editor.value())![1]);
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid=train-plan]')?.textContent?.includes(`${n} images`),
      2 * nInstances,
    );
    expect(await batch()).toContain(`${2 * nInstances} images`);
    // The YAML kept its other settings (3 epochs, validation every epoch) and the form shows them.
    expect(await form.locator('[name=max_epochs]').inputValue()).toBe('3');
    await showScreen(page, '15-train-form');
  });

  it('starts a run, streams loss and metrics into charts, and finishes', async () => {
    await page.click('[data-testid=start]');
    const live = page.locator('[data-testid=live-run]');
    await live.waitFor();
    // While it runs: epoch x/3 with a progress bar and the elapsed time.
    await page.locator('[data-testid=live-progress]', { hasText: /epoch \d\/3 .*elapsed \d+s/ }).waitFor();
    expect(await page.locator('[data-testid=live-progress] progress').count()).toBe(1);
    await page.locator('.chart[data-title=Loss] canvas').waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=live-run] .status')?.textContent === 'finished', null, {
      timeout: 90_000,
    });
    const text = await live.textContent();
    // The best-so-far value is the highest CMC@1 the run logged after training began, marked on the metric chart.
    const logged = (await session.web.core.store.metricSeries(1, ['OVERALL/cmc/1']))['OVERALL/cmc/1']!;
    const best = Math.max(...logged.filter(([, epoch]) => epoch >= 0).map(([, , v]) => v ?? Number.NaN));
    expect(await page.locator('[data-testid=best-so-far]').textContent()).toContain(`best cmc/1 so far: ${best.toFixed(4)}`);
    expect(await page.locator('.chart[data-title="Validation metrics"] .u-legend').textContent()).toContain('best cmc/1');
    expect(text).toMatch(/backend: (wasm|tensorflow|cpu)/);
    expect(text).toMatch(/cmc\/1\s*0\.\d{4}/);
    expect(await page.locator('.chart[data-title="Validation metrics"] canvas').count()).toBe(1);
    await showScreen(page, '6-train-live');

    // The run is in the store, with checkpoints.
    const runs = await session.web.core.store.listRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('finished');
    expect((await session.web.core.store.checkpoints(runs[0]!.id)).map((c) => c.kind).sort()).toEqual(['best', 'last']);
  });

  it('the Explorer searches with the trained checkpoint (opened from the finished run)', async () => {
    await page.click('[data-testid=explore-run]');
    const select = page.locator('select[name=model]');
    await page.waitForFunction(() => (document.querySelector('select[name=model]') as HTMLSelectElement | null)?.options.length === 2);
    expect(await select.inputValue()).toMatch(/checkpoints[\\/]best$/);
    await page.locator('[data-testid=explorer-results] figure.tile.hit, [data-testid=explorer-results] figure.tile.miss').first().waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=explorer-heading]')?.textContent?.includes('checkpoint'));
    expect(
      await page.locator('[data-testid=explorer-results] figure.tile.hit, [data-testid=explorer-results] figure.tile.miss').count(),
    ).toBe(10);
    await showScreen(page, '14-explorer-checkpoint');
    // Worst queries first under the best checkpoint: their mean AP@10 is the map/10 the run logged at that epoch.
    await page.click('[data-testid=rank-worst]');
    await page.locator('[data-testid=ranked-queries] li').first().waitFor();
    const best = (await session.web.core.store.checkpoints(1)).find((c) => c.kind === 'best')!;
    const map10 = (await session.web.core.store.metricSeries(1, ['OVERALL/map/10']))['OVERALL/map/10']!.find(
      ([, e]) => e === best.epoch,
    )![2];
    expect(await page.locator('[data-testid=ranked-overall]').textContent()).toContain(`map@10 ${map10!.toFixed(4)}`);
    const aps = (await page.locator('[data-testid=ranked-queries] li').allTextContents()).map((t) => Number(/AP ([\d.]+)/.exec(t)![1]));
    expect(aps.length).toBe(100);
    expect(aps).toEqual([...aps].sort((a, b) => a - b));
    await showScreen(page, '20-explorer-worst-queries');
    // Filtered to one label: only its queries, still worst first; the sample's validation labels are all unseen.
    const before = (await page.locator('[data-testid=ranked-overall]').textContent())!;
    const unseen = await page.locator('select[name=filter-seen] option[value=unseen]').textContent();
    expect(unseen).toBe('unseen (300)');
    const option = page.locator('select[name=filter-label] option').nth(1);
    const [labelName, count] = (await option.textContent())!.split(' · ');
    await page.selectOption('select[name=filter-label]', { index: 1 });
    await page.waitForFunction((b) => document.querySelector('[data-testid=ranked-overall]')?.textContent !== b, before);
    const filtered = await page.locator('[data-testid=ranked-queries] li').allTextContents();
    expect(filtered.length).toBe(Number(count));
    for (const t of filtered) expect(t).toContain(labelName!);
    expect(await page.locator('[data-testid=ranked-overall]').textContent()).toContain(`${count} queries`);
    await page.selectOption('select[name=filter-label]', { index: 0 });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=ranked-queries] li').length === 100);
    // Per label: queries and their means, worst map@10 first; weighted by their counts they give the overall map@10.
    const table = page.locator('[data-testid=label-metrics] tbody tr');
    const perLabel = (
      await table.evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent!.trim())))
    ).map(([name, n, map, cmc]) => ({ name: name!, n: Number(n), map: Number(map), cmc: Number(cmc) }));
    expect(perLabel.reduce((a, l) => a + l.n, 0)).toBe(300);
    expect(perLabel.map((l) => l.map)).toEqual([...perLabel.map((l) => l.map)].sort((a, b) => a - b));
    expect(Math.abs(perLabel.reduce((a, l) => a + l.n * l.map, 0) / 300 - map10!)).toBeLessThan(0.002);
    // A label's button filters the list to its queries; pressed again, every query is back.
    await table.first().locator('button').click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=ranked-queries] li').length === n, perLabel[0]!.n);
    for (const t of await page.locator('[data-testid=ranked-queries] li').allTextContents()) expect(t).toContain(perLabel[0]!.name);
    await showScreen(page, '20b-explorer-per-label');
    await table.first().locator('button').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=ranked-queries] li').length === 100);
    // The worst query's own AP is shown with its results; raw pixels beside it, with the difference.
    await page.locator('[data-testid=ranked-queries] li button').first().click();
    await page.waitForFunction(
      (ap) => document.querySelector('[data-testid=explorer-heading]')?.textContent?.includes(`AP@10 ${ap}`),
      aps[0]!.toFixed(3),
    );
    await page.selectOption('select[name=compare]', 'raw');
    const compared = page.locator('[data-testid=compare-results] figure.tile');
    await compared.first().waitFor();
    expect(await compared.count()).toBe(10);
    const delta = (await page.locator('[data-testid=compare-delta]').textContent())!;
    const heading = (await page.locator('[data-testid=explorer-heading]').textContent())!;
    const mainAp = Number(/AP@10 ([\d.]+)/.exec(heading)![1]);
    const [, rawAp, sign, diff] = /AP@10 ([\d.]+)\s+\(([+−])([\d.]+) against/.exec(delta)!;
    expect(Math.abs((sign === '+' ? 1 : -1) * Number(diff) - (Number(rawAp) - mainAp))).toBeLessThanOrEqual(0.0011);
    expect(delta).toContain('checkpoint');
    // At 1280 px the two models' results stand side by side: same top, the second to the right of the first.
    const [left, right] = await Promise.all(
      ['[data-testid=explorer-results]', '[data-testid=compare-results]'].map(async (s) => (await page.locator(s).boundingBox())!),
    );
    expect(Math.abs(left!.y - right!.y)).toBeLessThan(120);
    expect(right!.x).toBeGreaterThanOrEqual(left!.x + left!.width);
    await showScreen(page, '21-explorer-compare');
    await page.selectOption('select[name=compare]', '');
    await select.selectOption('');
    await page.waitForFunction(() => document.querySelector('[data-testid=explorer-heading]')?.textContent?.includes('raw pixels'));
  });

  it('a second Start while a run trains queues it; the queued run can be cancelled from its page before it starts', async () => {
    await page.click('[data-nav=train]');
    await page.locator('[data-testid=start]', { hasText: 'Start training' }).click();
    // The live view comes into sight (it sits below the config).
    await page.locator('[data-testid=live-run]').waitFor();
    await page.waitForFunction(() => {
      const box = document.querySelector('[data-testid=live-run]')?.getBoundingClientRect();
      return box !== undefined && box.top >= 0 && box.top < window.innerHeight / 2;
    });
    // Run 2 trains; Start now queues run 3 behind it — the same config only when asked twice.
    await page.locator('[data-testid=start]', { hasText: 'Queue after this run' }).click();
    await page.locator('[data-testid=start]', { hasText: 'Queue the same config again? yes' }).waitFor();
    expect(await session.web.core.store.getRun(3)).toBeNull();
    await page.locator('[data-testid=start]', { hasText: 'Queue the same config again? yes' }).click();
    await page.locator('[data-testid=queued-note]', { hasText: 'run #3 is queued: it starts when run #2 ends' }).waitFor();
    expect((await session.web.core.store.getRun(3))!.status).toBe('queued');
    await page.goto(`${session.web.server.url}#/runs/3`);
    const cancel = page.locator('[data-page=run-detail] [data-testid=stop]', { hasText: 'Cancel' });
    await cancel.click();
    await page.locator('h1 .status', { hasText: 'stopped' }).waitFor();
    expect(await session.web.core.store.getRun(3)).toMatchObject({ status: 'stopped', startedAt: null });
    // It never started: nothing to resume (Train again remains).
    expect(await page.getByRole('button', { name: 'Resume' }).count()).toBe(0);
    await showScreen(page, '16-queued-cancelled');
    // Run 2 is untouched and finishes (its page follows it live).
    await page.goto(`${session.web.server.url}#/runs/2`);
    await page.locator('h1 .status', { hasText: 'finished' }).waitFor({ timeout: 90_000 });
    expect((await session.web.core.store.getRun(2))!.status).toBe('finished');
  });
});
