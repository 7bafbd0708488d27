// The first launch: an empty data folder opens on the welcome page, whose first button trains the shipped sample
// (the run shows live on the Train page) and whose others lead to the wizard and the sample dataset.
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, showScreen, startBrowserSession } from '../helpers/browser';

let session: BrowserSession;
let page: Page;

beforeAll(async () => {
  session = await startBrowserSession('ms-browser-welcome-');
  page = session.page;
});
afterAll(async () => {
  await session?.close();
});
afterEach(() => expect(session.errors.splice(0)).toEqual([]));

describe('the first launch', () => {
  it('opens on the welcome page while the data folder is empty, and leads to the wizard and the sample', async () => {
    await page.goto(session.web.server.url);
    await page.locator('[data-page=welcome] h1', { hasText: 'Welcome to Metric Studio' }).waitFor();
    expect(page.url()).toMatch(/#\/welcome$/);
    await showScreen(page, '0-welcome');
    await page.click('[data-testid=bring-your-own]');
    await page.locator('input[name=source]').waitFor();
    await page.goBack();
    await page.click('[data-testid=see-sample]');
    await page.locator('[data-testid=dataset-summary]', { hasText: /Rows\s*600/ }).waitFor();
  });

  it('trains the sample in one click: the run shows live on the Train page, and can be stopped there', async () => {
    await page.goto(`${session.web.server.url}#/welcome`);
    await page.click('[data-testid=train-sample]');
    await page.locator('[data-testid=live-progress]', { hasText: /epoch \d+\/\d+/ }).waitFor({ timeout: 60_000 });
    expect(page.url()).toMatch(/#\/train$/);
    const [run] = await session.web.core.store.listRuns();
    expect(run).toMatchObject({ name: 'fmnist_mini_tiny_triplet' });
    await page.locator('[data-testid=live-run] [data-testid=stop]').click();
    await page.locator('[data-testid=live-run] .status', { hasText: 'stopped' }).waitFor({ timeout: 60_000 });
  }, 120_000);

  it('opens on Datasets once something was done (a browser with no last page to go back to)', async () => {
    const fresh = await page.context().browser()!.newContext();
    const launch = await fresh.newPage();
    await launch.goto(session.web.server.url);
    await launch.locator('[data-page=datasets]').waitFor();
    await fresh.close();
  });
});
