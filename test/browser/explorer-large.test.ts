// The explorer on 10,000 real images: embedding runs in a worker process, so the web UI stays usable while it
// works — the user moves between pages and sees the job's progress in the sidebar.
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, showScreen, startBrowserSession } from '../helpers/browser';
import { writeFashionMnistValidation } from '../helpers/fashion-mnist';

let session: BrowserSession;
let page: Page;
let csv: string;

beforeAll(async () => {
  session = await startBrowserSession('ms-browser-explorer-', async ({ dir }) => {
    csv = await writeFashionMnistValidation(dir, 10_000);
  });
  page = session.page;
}, 120_000);
afterAll(async () => {
  await session?.close();
});
// Each step leaves no console error, page error or failed request behind (checked per step, not once at the end).
afterEach(() => expect(session.errors.splice(0)).toEqual([]));

const progressValue = (p: Page) =>
  p
    .locator('[data-testid=jobs] progress')
    .first()
    .evaluate((el) => (el as HTMLProgressElement).value);

describe('explorer on 10,000 images', () => {
  it('embeds in a worker while the user moves between pages, showing progress', async () => {
    await page.goto(`${session.web.server.url}#/datasets`);
    await page.locator('input[name=csvPath]').fill(csv);
    await page.locator('form button[type=submit]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=dataset-summary]')?.textContent?.includes('10010'), null, {
      timeout: 60_000,
    });

    await page.click('[data-nav=explorer]');
    const jobs = page.locator('[data-testid=jobs]');
    await jobs.waitFor({ timeout: 30_000 });
    expect(await jobs.textContent()).toMatch(/Embedding 10,000 validation images of df\.csv with raw pixels/);
    await page.locator('[data-testid=explorer-progress]').waitFor();
    await showScreen(page, 'explorer-large-1-embedding');

    // The rest of the app answers while the worker embeds.
    const before = await progressValue(page);
    await page.click('[data-nav=runs]');
    await page.locator('[data-page=runs] h1').waitFor({ timeout: 5_000 });
    await page.click('[data-nav=train]');
    await page.locator('[data-testid=backends]').waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      (b) => {
        const el = document.querySelector('[data-testid=jobs] progress') as HTMLProgressElement | null;
        return el === null || el.value > b;
      },
      before,
      { timeout: 60_000 },
    );
    await showScreen(page, 'explorer-large-2-other-page');

    await page.click('[data-nav=explorer]');
    const tiles = page.locator('[data-testid=explorer-results] figure.tile.hit, [data-testid=explorer-results] figure.tile.miss');
    await tiles
      .first()
      .waitFor({ timeout: 120_000 })
      .catch(async (e) => {
        await showScreen(page, 'explorer-large-failed');
        throw e;
      });
    expect(await tiles.count()).toBe(10);
    await jobs.waitFor({ state: 'detached', timeout: 10_000 });
    await showScreen(page, 'explorer-large-3-results');
  }, 240_000);
});
