// The zoo as a user meets it: download a model from the Zoo page (progress bar, verified), train a head on it
// from the Train page, and open the Explorer with it. The registry is a mock on 127.0.0.1 that trickles bytes.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_ENV } from '../../main/zoo/catalog';
import { type BrowserSession, showScreen, startBrowserSession, yamlEditor } from '../helpers/browser';
import { startMockRegistry, tinyZooPackage } from '../helpers/zoo-fixture';

let session: BrowserSession;
let page: Page;
let registry: Awaited<ReturnType<typeof startMockRegistry>>;

beforeAll(async () => {
  const tiny = await tinyZooPackage();
  registry = await startMockRegistry(new Map([['tiny-zoo', tiny.tgz]]), 40);
  session = await startBrowserSession('ms-browser-zoo-', async ({ dir }) => {
    const catalog = path.join(dir, 'catalog.json');
    writeFileSync(catalog, JSON.stringify({ version: 1, entries: [tiny.entry] }));
    process.env[CATALOG_ENV] = catalog;
    process.env.npm_config_registry = registry.url;
  });
  page = session.page;
}, 60_000);
afterAll(async () => {
  delete process.env[CATALOG_ENV];
  delete process.env.npm_config_registry;
  await session?.close();
  await registry?.close();
});
// Each step leaves no console error, page error or failed request behind (checked per step, not once at the end).
afterEach(() => expect(session.errors.splice(0)).toEqual([]));

describe('the zoo in the UI', () => {
  it('downloads a model with a progress bar, then shows it installed and verified', async () => {
    await page.goto(`${session.web.server.url}#/zoo`);
    const card = page.locator('.zoo-entry[data-key=tiny_cnn]');
    await card.waitFor();
    expect(await card.textContent()).toContain('not downloaded');
    await card.locator('[data-testid=download]').click();
    await card.locator('[data-testid=download-progress] progress').waitFor();
    await showScreen(page, 'zoo-1-downloading');
    await page.waitForFunction(() => document.querySelector('.zoo-entry[data-key=tiny_cnn]')?.textContent?.includes('verified'), null, {
      timeout: 60_000,
    });
    expect(await card.textContent()).toMatch(/installed.*verified/s);
    await showScreen(page, 'zoo-2-installed');
  });

  it('trains a head on the model from the Train page', async () => {
    await page.locator('.zoo-entry[data-key=tiny_cnn] [data-testid=train-head]').click();
    const editor = yamlEditor(page);
    await editor.content.waitFor();
    expect(await editor.value()).toMatch(/model: tiny_cnn/);
    await page.getByText('Config is valid.').waitFor();
    await editor.fill((await editor.value()).replace('max_epochs: 200', 'max_epochs: 40').replace('valid_period: 50', 'valid_period: 20'));
    await page.getByText('Config is valid.').waitFor();
    await page.click('[data-testid=start]');
    await page.waitForFunction(() => document.querySelector('[data-testid=live-run] .status')?.textContent === 'finished', null, {
      timeout: 120_000,
    });
    const log = await page.locator('[data-testid=live-run] pre.log').textContent();
    expect(log).toMatch(/backbone features: 600 images → 16-d/);
    await showScreen(page, 'zoo-3-head-trained');
  }, 180_000);

  it('opens the Explorer with the zoo model', async () => {
    await page.click('[data-nav=zoo]');
    await page.locator('.zoo-entry[data-key=tiny_cnn] [data-testid=evaluate]').click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid=explorer-heading]')?.textContent?.includes('zoo tiny_cnn'),
      null,
      { timeout: 60_000 },
    );
    expect(
      await page.locator('[data-testid=explorer-results] figure.tile.hit, [data-testid=explorer-results] figure.tile.miss').count(),
    ).toBe(10);
    // "Evaluate" evaluates (#31, item 4): the model's CMC@1 and mAP@k over every query, in a card of their own,
    // and they follow the model when it changes.
    const card = page.locator('[data-testid=evaluation]');
    await card.locator('strong', { hasText: 'CMC@1' }).waitFor({ timeout: 60_000 });
    expect((await card.textContent())!.replace(/\s+/g, ' ')).toMatch(
      /Evaluation — zoo: Tiny CNN .* over \d+ queries: CMC@1 0\.\d{4} · mAP@10 0\.\d{4}/,
    );
    await showScreen(page, 'zoo-4-explorer');
    await page.locator('select[name=model]').selectOption('');
    await page.waitForFunction(
      () => /Evaluation — raw pixels .*CMC@1 0\.\d{4}/s.test(document.querySelector('[data-testid=evaluation]')?.textContent ?? ''),
      null,
      {
        timeout: 60_000,
      },
    );
  });
});
