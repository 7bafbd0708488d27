// The Explorer on any dataset, its state in the address (#31, item 1): the dataset opened on the Datasets page is
// the one it shows when the user comes back; dataset, model, top-k and query are in the address, so a reload, a
// pasted link and history back restore the same search; a picker lists the registered datasets.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, showScreen, startBrowserSession } from '../helpers/browser';
import { SAMPLE_ROOT, seenLabelsCsv } from '../helpers/training';
import { SAMPLE_CSV } from '../helpers/tmp';

let session: BrowserSession;
let page: Page;
let seen: string;

beforeAll(async () => {
  session = await startBrowserSession('ms-browser-explorer-state-', async ({ dir }) => {
    seen = seenLabelsCsv(dir);
  });
  page = session.page;
}, 120_000);
afterAll(async () => {
  await session?.close();
});
afterEach(() => expect(session.errors.splice(0)).toEqual([]));

const heading = () => page.locator('[data-testid=explorer-heading]').textContent();
/** The Explorer's part of the address: the query of the hash route. */
const address = () => new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '');

describe('the Explorer on any dataset', () => {
  it('shows the dataset last opened on the Datasets page, not the one it opened first', async () => {
    // The first screen opens the shipped sample; the Explorer then shows it.
    await page.goto(`${session.web.server.url}#/datasets`);
    await page.locator('[data-testid=dataset-summary]').waitFor();
    await page.click('[data-nav=explorer]');
    await page.locator('[data-testid=explorer-results]').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid=explorer-dataset] code').textContent()).toBe(SAMPLE_CSV);
    await page.goto(`${session.web.server.url}#/datasets?csv=${encodeURIComponent(seen)}&root=${encodeURIComponent(SAMPLE_ROOT)}`);
    // The sample's summary is still on screen until this one is inspected: wait for this one's 300 rows (not 600).
    await page.waitForFunction(
      () => /Rows\s*300(?!\d)/.test(document.querySelector('[data-testid=dataset-summary]')?.textContent ?? ''),
      null,
      {
        timeout: 60_000,
      },
    );
    await page.click('[data-nav=explorer]');
    await page.waitForFunction((csv) => document.querySelector('[data-testid=explorer-dataset] code')?.textContent === csv, seen, {
      timeout: 60_000,
    });
    // Both registered datasets are in the picker, told apart by their paths.
    const options = await page.locator('select[name=dataset] option').allTextContents();
    expect(options.some((o) => o.includes('fashion-mnist-mini/df.csv'))).toBe(true);
    expect(options.some((o) => o.endsWith(`${path.basename(path.dirname(seen))}/seen.csv`))).toBe(true);
  }, 120_000);

  it('keeps dataset, model, top-k and query in the address: a reload, a pasted link and history back restore the search', async () => {
    await page.locator('[data-testid=explorer-results]').waitFor({ timeout: 60_000 });
    // The fifth query, top-5, raw pixels.
    await page.locator('aside.queries li button').nth(4).click();
    await page.waitForFunction(() => /^Row \d+ /.test(document.querySelector('[data-testid=explorer-heading]')?.textContent ?? ''));
    await page.locator('input[name=k]').fill('5');
    await page.locator('select[name=model]').selectOption('');
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[data-testid=explorer-results] figure.tile.hit, [data-testid=explorer-results] figure.tile.miss')
          .length === 5,
    );
    await page.waitForFunction(() => new URLSearchParams(location.hash.split('?')[1] ?? '').get('k') === '5');
    await page.waitForFunction(() => document.querySelector('[data-testid=explorer-heading]')?.textContent?.includes('AP@5'));
    const chosen = await heading();
    const state = address();
    expect(Object.fromEntries(state)).toMatchObject({ csv: seen, root: SAMPLE_ROOT, model: 'raw', k: '5' });
    expect(chosen).toContain(`Row ${state.get('q')} `);
    const link = page.url();

    // Thumbnails still loading would be aborted by the reload (and counted as failed requests): let them land first.
    await page.waitForLoadState('networkidle');
    await page.reload();
    await page.waitForFunction((h) => document.querySelector('[data-testid=explorer-heading]')?.textContent === h, chosen, {
      timeout: 60_000,
    });
    expect(
      await page.locator('[data-testid=explorer-results] figure.tile.hit, [data-testid=explorer-results] figure.tile.miss').count(),
    ).toBe(5);
    expect(await page.locator('[data-testid=explorer-dataset] code').textContent()).toBe(seen);
    await showScreen(page, '38-explorer-restored');

    await page.click('[data-nav=runs]');
    await page.locator('[data-page=runs]').waitFor();
    await page.goBack();
    await page.waitForFunction((h) => document.querySelector('[data-testid=explorer-heading]')?.textContent === h, chosen, {
      timeout: 60_000,
    });

    // A pasted link in a fresh window.
    const other = await page.context().newPage();
    await other.goto(link);
    await other.waitForFunction((h) => document.querySelector('[data-testid=explorer-heading]')?.textContent === h, chosen, {
      timeout: 30_000,
    });
    expect(await other.locator('input[name=k]').inputValue()).toBe('5');
    await other.close();

    // The picker opens the other dataset, and the address follows.
    await page.locator('select[name=dataset]').selectOption(SAMPLE_CSV);
    await page.waitForFunction((csv) => new URLSearchParams(location.hash.split('?')[1] ?? '').get('csv') === csv, SAMPLE_CSV);
    await page.waitForFunction((csv) => document.querySelector('[data-testid=explorer-dataset] code')?.textContent === csv, SAMPLE_CSV, {
      timeout: 60_000,
    });
  }, 180_000);
});
