// The flow a practitioner goes through: set up a run in the form, start it, reload the page mid-run (the run is
// found again, live, with its Stop button), stop it from its detail page, resume it there, and see it finish —
// one run, its series step by step with no step twice, its Best the best checkpoint's metric.
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, showScreen, startBrowserSession } from '../helpers/browser';

let session: BrowserSession;
let page: Page;

beforeAll(async () => {
  session = await startBrowserSession('ms-browser-reload-', undefined, { width: 1280, height: 1000 });
  page = session.page;
});
afterAll(async () => {
  await session?.close();
});
afterEach(() => expect(session.errors.splice(0)).toEqual([]));

const field = (name: string) => page.locator(`[data-testid=config-form] [name="${name}"]`);
async function setField(name: string, value: string) {
  await field(name).fill(value);
  await field(name).dispatchEvent('change');
}

describe('a run across a reload, a stop and a resume', () => {
  it('is set up in the form and started', async () => {
    await page.goto(`${session.web.server.url}#/train`);
    await page.locator('select[name=recipe]').selectOption('fashion-mnist-mini');
    // Long enough that the run is still going when the later steps stop it: at 12 epochs, on a machine that trains
    // them in ~1 s each, the run sometimes ended between the reload and the click on Stop. 40, not the recipe's 30,
    // so a form that lost the edit (it once did) shows in the epochs trained.
    await setField('max_epochs', '40');
    await setField('valid_period', '1');
    await page.getByText('Config is valid.').waitFor();
    await page.click('[data-testid=start]');
    await page.locator('[data-testid=live-progress]', { hasText: /epoch [2-9]\/40/ }).waitFor({ timeout: 110_000 });
  });

  it('after a reload the running run is shown again, live, with its Stop button', async () => {
    await page.reload();
    await page.locator('[data-testid=live-run] [data-testid=stop]').waitFor();
    await page.locator('[data-testid=live-progress]', { hasText: /epoch \d+\/40/ }).waitFor();
    await showScreen(page, '18-train-after-reload');
  });

  it('is stopped from its detail page, and resumed there to the end', async () => {
    await page.goto(`${session.web.server.url}#/runs/1`);
    // A hash change returns at once, with the train page (and its own Stop button) still on screen: a click then
    // could land on that button as the router swapped pages, and reach nothing (CI once saw the run finish unstopped).
    const detail = page.locator('[data-page=run-detail]');
    await detail.locator('h1 .status', { hasText: 'running' }).waitFor();
    // The run page follows a running run live, as the Train page does: epoch, step, time left.
    await detail.locator('[data-testid=live-progress]', { hasText: /training · epoch \d+\/40 · step \d+\/\d+/ }).waitFor();
    await detail.locator('[data-testid=stop]', { hasText: 'Stop' }).click();
    await detail.locator('h1 .status', { hasText: 'stopped' }).waitFor({ timeout: 60_000 });
    const stoppedAt = (await session.web.core.store.metricSeries(1, ['loss'])).loss!.length;
    expect(stoppedAt).toBeLessThan(40 * 2);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('h1 .status', { hasText: 'finished' }).waitFor({ timeout: 240_000 });
    await showScreen(page, '19-run-resumed-finished');
  }, 300_000);

  it('is one run whose series has every step once, and whose Best is its best checkpoint', async () => {
    const store = session.web.core.store;
    expect(await store.listRuns()).toHaveLength(1);
    const loss = (await store.metricSeries(1, ['loss'])).loss!.map(([step]) => step);
    expect(loss).toEqual([...new Set(loss)].sort((a, b) => a - b));
    const cmc = (await store.metricSeries(1, ['OVERALL/cmc/1']))['OVERALL/cmc/1']!;
    expect(new Set(cmc.map(([, epoch]) => epoch))).toEqual(new Set([-1, ...Array.from({ length: 40 }, (_, e) => e)]));
    const best = (await store.checkpoints(1)).find((c) => c.kind === 'best')!;
    expect(best.metric_value).toBe(Math.max(...cmc.filter(([, epoch]) => epoch >= 0).map(([, , v]) => v ?? Number.NaN)));
    await page.goto(`${session.web.server.url}#/runs`);
    await page.locator('[data-testid=runs-table] tbody tr').first().waitFor();
    expect(await page.locator('[data-testid=runs-table] tbody tr').first().textContent()).toContain(
      `cmc/1 ${best.metric_value!.toFixed(3)}`,
    );
  });
});
