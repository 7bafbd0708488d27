import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, showScreen, startBrowserSession, yamlEditor } from '../helpers/browser';
import { makeImageFolder } from '../helpers/image-folders';

let session: BrowserSession;
let page: Page;
let photos: string;

beforeAll(async () => {
  session = await startBrowserSession('ms-browser-wizard-', async ({ dir }) => {
    photos = path.join(dir, 'my photos');
    await makeImageFolder(photos, { perLabel: 6, categories: true });
  });
  page = session.page;
});

afterAll(async () => {
  await session?.close();
});
// Each step leaves no console error, page error or failed request behind (checked per step, not once at the end).
afterEach(() => expect(session.errors.splice(0)).toEqual([]));

describe('dataset wizard', () => {
  it('walks source → split → preview → write on a real folder', async () => {
    await page.goto(`${session.web.server.url}#/datasets`);
    await page.click('[data-testid=new-dataset]');
    await page.fill('input[name=source]', photos);
    await showScreen(page, '10-wizard-source');
    await page.click('button[type=submit]');

    await page.locator('input[name=val-fraction]').fill('0.4');
    await showScreen(page, '11-wizard-split');
    await page.click('[data-testid=analyze]');
    const summary = page.locator('[data-testid=wizard-summary]');
    await summary.waitFor();
    // 10 Fashion-MNIST labels plus the one-image "Lonely" label (kept only if it lands in validation).
    expect(await summary.textContent()).toMatch(/Labels\s*1[01]/);
    expect(await summary.textContent()).toContain('bottoms');
    const problems = await page.locator('[data-testid=wizard-problems]').textContent();
    expect(problems).toContain('image_unreadable');
    expect(problems).toContain('duplicate_file');
    expect(problems).toMatch(/single_instance_label|lone_validation_image|query_without_positives/);
    // Why the folders became this many labels (#31 item 6): the source's 11, the kept ones, what took the rest.
    const kept = Number((await summary.textContent())!.match(/Labels\s*(\d+)/)![1]);
    expect(await page.locator('[data-testid=label-account]').textContent()).toBe(
      kept === 11 ? '11 labels in the source, 11 kept.' : '11 labels in the source, 10 kept: 1 had one image (samplers need two).',
    );
    // One kind at a time: its rows only, then every kind again.
    const rows = page.locator('[data-testid=wizard-problems] tbody tr');
    const all = await rows.count();
    await page.locator('[data-testid=problem-kinds] button[data-code=duplicate_file]').click();
    expect(new Set(await rows.locator('td:first-child').allTextContents())).toEqual(new Set(['duplicate_file']));
    await page.locator('[data-testid=problem-kinds] button', { hasText: /^all / }).click();
    expect(await rows.count()).toBe(all);
    await page.waitForFunction(() => document.querySelectorAll('.label-grid img.thumb').length >= 20);
    await showScreen(page, '12-wizard-preview');

    await page.click('[data-testid=write]');
    await page.locator('[data-testid=written-csv]').waitFor();
    expect(await page.locator('.badge.ok').textContent()).toContain('passes check');
    await showScreen(page, '13-wizard-done');
    expect(existsSync(path.join(photos, 'df.csv'))).toBe(true);

    await page.click('[data-testid=open-dataset]');
    await page.locator('[data-testid=dataset-summary]').waitFor();
    const written = readFileSync(path.join(photos, 'df.csv'), 'utf8').trim().split('\n').length - 1;
    expect(await page.locator('[data-testid=dataset-summary]').textContent()).toMatch(new RegExp(`Rows\\s*${written}`));
  });

  it('"Train on this dataset" opens Train with the config pointed at it, checked against it', async () => {
    await page.click('[data-testid=train-on-dataset]');
    const editor = yamlEditor(page);
    await editor.content.waitFor();
    const csv = path.join(photos, 'df.csv');
    await page.locator('[data-testid=yaml-editor] .cm-line', { hasText: `dataset: ${csv}` }).waitFor();
    expect(await editor.value()).toContain(`dataset: ${csv}`);
    expect(await page.locator('[data-testid=config-form] [name=dataset]').inputValue()).toBe(csv);
    // A config made for this dataset (not the last one with its path swapped): its name, its colour, its size.
    const text = await editor.value();
    expect(text).toContain('postfix: my_photos_small_cnn_triplet');
    expect(text).toMatch(/^# Made for .*df\.csv from the fashion-mnist-mini-seen recipe/);
    expect(text).toMatch(/\nchannels: 1\n/);
    expect(await page.locator('select[name=recipe] option:checked').textContent()).toBe(`made for ${path.basename(photos)}/df.csv`);
    // The plan (or the problems) is computed on this dataset: its train labels, not the recipe's sample.
    const trainLabels = new Set(
      readFileSync(csv, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .filter((l) => l.split(',')[2] === 'train')
        .map((l) => l.split(',')[0]),
    ).size;
    await page.locator('[data-testid=train-plan], [data-testid=config-issues]').first().waitFor();
    const shown = (await page.locator('[data-testid=train-plan], [data-testid=config-issues]').first().textContent())!;
    expect(shown).toMatch(new RegExp(`labels / epoch\\s*\\d+ of ${trainLabels}(?!\\d)|the train split has ${trainLabels} labels`));
  });
});
