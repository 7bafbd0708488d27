// The Quality panel on a dataset with planted problems (helpers/planted.ts): it lists the leaks with their
// thumbnails side by side, a relabel and a keep-one are collected as fixes and written as df.v2.csv (the original
// untouched), Datasets shows both versions, and a run on the leaky version warns that its metrics are inflated.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, showScreen, startBrowserSession, textContrast } from '../helpers/browser';
import { type Planted, PLANTED_ROOT, plantProblems } from '../helpers/planted';

let session: BrowserSession;
let page: Page;
let planted: Planted;
let runId: number;
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(async () => {
  session = await startBrowserSession('ms-browser-quality-', async ({ web, dir }) => {
    planted = await plantProblems(dir);
    const datasetId = await web.core.store.registerDataset('planted', planted.csv, PLANTED_ROOT);
    runId = await web.core.store.createRun({ name: 'on leaky data', datasetId, status: 'finished' });
  });
  page = session.page;
}, 120_000);
afterAll(async () => {
  await session?.close();
});
afterEach(() => expect(session.errors.splice(0)).toEqual([]));

describe('the Quality panel', () => {
  it('lists the planted leaks with both images, and the mislabels with the label their neighbours give', async () => {
    await page.goto(`${session.web.server.url}#/datasets?csv=${encodeURIComponent(planted.csv)}&root=${encodeURIComponent(PLANTED_ROOT)}`);
    const panel = page.locator('[data-testid=quality]');
    await panel.waitFor();
    await panel.locator('[data-testid=quality-find]').click();
    await panel.locator('[data-testid=quality-summary]').waitFor({ timeout: 90_000 });
    expect(await panel.locator('[data-testid=quality-summary]').textContent()).toMatch(/610 rows, raw pixels.*0\.25 × the median/);
    expect(await panel.locator('[data-kind=leaks] .badge').textContent()).toBe('10');
    const leaks = panel.locator('[data-testid=quality-duplicate]');
    expect(await leaks.count()).toBe(10);
    // Each leak: a training row and its re-encoded copy in validation, side by side, thumbnails loaded.
    const first = leaks.first();
    expect(await first.locator('figure').count()).toBe(2);
    expect(await first.textContent()).toMatch(/leak: train and validation[\s\S]*train[\s\S]*validation/);
    await first.locator('img.thumb').nth(1).waitFor();
    const shown = await leaks.evaluateAll((items) =>
      items.map((li) => Array.from(li.querySelectorAll('figcaption')).map((f) => Number(/row (\d+)/.exec(f.textContent!)![1]))),
    );
    expect(shown.map((rows) => rows.join(',')).sort()).toEqual(planted.leaks.map(([a, b]) => `${a},${b}`).sort());
    await showScreen(page, '33-quality-leaks');
    // The page's primary buttons read as buttons (#31, item 7: muted text on indigo was 1.6:1).
    for (const button of ['[data-testid=train-on-dataset]', '[data-testid=leaderboard-compute]', '[data-testid=quality-find]'])
      expect(await textContrast(page, button), button).toBeGreaterThanOrEqual(4.5);

    await panel.locator('[data-kind=mislabels]').click();
    const mislabels = panel.locator('[data-testid=quality-mislabel]');
    expect(await mislabels.count()).toBeGreaterThan(10);
    expect(await mislabels.first().textContent()).toMatch(/label \d+; \d+% of its neighbours say \d+/);
    // A label filter narrows every list to rows with that label (its own or suggested).
    await panel.locator('[name=quality-label]').fill('11');
    for (const text of await mislabels.allTextContents()) expect(text).toMatch(/\b11\b/);
    await panel.locator('[name=quality-label]').fill('');
    await showScreen(page, '34-quality-mislabels');
  });

  it('collects a relabel and a keep-one as fixes and writes them as a new version; Datasets lists both', async () => {
    const panel = page.locator('[data-testid=quality]');
    const before = sha(planted.csv);
    const mislabel = panel.locator('[data-testid=quality-mislabel]').first();
    const relabelled = Number(/row (\d+)/.exec((await mislabel.locator('figcaption').textContent())!)![1]);
    const suggested = /Relabel to (\d+)/.exec((await mislabel.locator('button', { hasText: 'Relabel' }).textContent())!)![1];
    await mislabel.locator('button', { hasText: 'Relabel' }).click();
    await panel.locator('[data-kind=leaks]').click();
    // Keep the training copy of the first leak: its validation copy goes.
    const leak = panel.locator('[data-testid=quality-duplicate]').first();
    const [kept, dropped] = await leak
      .locator('figcaption')
      .evaluateAll((fs) => fs.map((f) => Number(/row (\d+)/.exec(f.textContent!)![1])));
    await leak.locator('figure').first().locator('button', { hasText: 'keep this one' }).click();
    const fixes = panel.locator('[data-testid=quality-fixes]');
    expect(await fixes.locator('li').allTextContents()).toEqual([
      expect.stringContaining(`row ${relabelled}: relabel to ${suggested}`),
      expect.stringContaining(`rows ${kept}, ${dropped}: keep row ${kept}`),
    ]);
    // The dropped row is shown faded, its button off.
    expect(await leak.locator('figure').nth(1).getAttribute('class')).toContain('gone');
    await showScreen(page, '35-quality-fixes');
    await fixes.locator('[data-testid=quality-write]').click();
    const written = panel.locator('[data-testid=quality-written]');
    await written.waitFor();
    expect(await written.textContent()).toMatch(
      /Wrote .*df\.v2\.csv \(version 2, 609 rows, 2 change lines in .*df\.v2\.changes\.csv\): valid/,
    );
    expect(sha(planted.csv)).toBe(before);
    const log = parse(readFileSync(path.join(path.dirname(planted.csv), 'df.v2.changes.csv')), { columns: true }) as {
      row: string;
      action: string;
    }[];
    expect(log.map((l) => `${l.row} ${l.action}`)).toEqual([`${relabelled} relabel`, `${dropped} drop_duplicate`]);

    await written.locator('[data-testid=open-version]').click();
    const versions = page.locator('[data-testid=dataset-versions]');
    await versions.waitFor();
    expect((await versions.textContent())!.replace(/\s+/g, ' ')).toMatch(/Versions: v1 df\.csv · v2 df\.v2\.csv \(open\) \(2 changes\)/);
    expect(await page.locator('[data-testid=dataset-summary]').textContent()).toContain('609');
    await showScreen(page, '36-dataset-versions');
  });

  it('warns on a run trained on the leaky version that its validation metrics are inflated', async () => {
    await page.goto(`${session.web.server.url}#/runs/${runId}`);
    const warning = page.locator('[data-testid=leak-warning]');
    await warning.waitFor({ timeout: 60_000 });
    expect(await warning.textContent()).toMatch(/10 of \d+ validation rows have near duplicates among the training rows .* inflated/);
    expect(await warning.locator('a', { hasText: 'Open the dataset' }).count()).toBe(1);
    await showScreen(page, '37-run-leak-warning');
  });
});
