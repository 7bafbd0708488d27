// Every model beside its baselines, in the page: a run that trained (for real, in a worker) but cannot beat raw
// pixels says so on its page and in the Runs table, its charts draw the baselines, and the dataset's leaderboard
// lists raw pixels above it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import YAML from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, showScreen, startBrowserSession } from '../helpers/browser';
import { SAMPLE_CSV } from '../helpers/tmp';

let session: BrowserSession;
let page: Page;
let runId: number;

beforeAll(async () => {
  session = await startBrowserSession('ms-browser-baselines-', async ({ web }) => {
    // A learning rate that moves nothing: the best checkpoint is the untrained small CNN, which raw pixels beat on
    // the shipped sample's unseen labels.
    const yaml = YAML.stringify({
      postfix: 'cannot-learn',
      seed: 42,
      backend: 'wasm',
      dataset: SAMPLE_CSV,
      max_epochs: 2,
      valid_period: 1,
      sampler: { name: 'balance', args: { n_labels: 5, n_instances: 6 } },
      metric_args: { cmc_top_k: [1], precision_top_k: [5], map_top_k: [10], pcf_variance: [] },
      extractor: { name: 'small_cnn', args: { emb_dim: 32 } },
      criterion: { name: 'triplet_with_miner', args: { margin: 0.2, miner: { name: 'all_triplets', args: {} } } },
      optimizer: { name: 'adam', args: { lr: 1e-12 } },
    });
    const started = await web.core.dispatch('train.start', { yaml, baseDir: path.dirname(SAMPLE_CSV) });
    if (!started.ok) throw new Error(JSON.stringify(started));
    runId = (started.result as { runId: number }).runId;
  });
  page = session.page;
}, 120_000);

afterAll(async () => {
  await session?.close();
});
afterEach(() => expect(session.errors.splice(0)).toEqual([]));

describe('a run beside its baselines', () => {
  it('says on its page that the best checkpoint does not beat raw pixels, with the baseline drawn on its charts', async () => {
    await page.goto(`${session.web.server.url}#/runs/${runId}`);
    // The run trains in a worker: its page follows it to the end.
    await page.waitForSelector('[data-page=run-detail] .status.finished', { timeout: 90_000 });
    const verdict = page.locator('[data-testid=baseline-verdict]');
    await verdict.waitFor();
    expect(await verdict.textContent()).toMatch(
      /does not beat raw pixels \(28×28 grey, L2-normalised\) on cmc\/1: 0\.\d{4} against 0\.\d{4} \(-0\.\d{4}\)/,
    );
    expect(await page.locator('[data-testid=run-baselines]').textContent()).toMatch(/raw pixels .* 0\.\d{4}/);
    // The checkpoint metric's chart has the raw-pixel level in its legend, beside the untrained network's.
    const legends = await page.locator('[data-testid=run-charts] .u-legend').allTextContents();
    const cmc = legends.find((t) => t.includes('OVERALL/cmc/1'));
    expect(cmc).toContain('raw pixels (28×28 grey, L2-normalised)');
    expect(cmc).toContain('untrained network');
    await showScreen(page, '30-run-below-raw-pixels');
  }, 120_000);

  it('marks it in the Runs table', async () => {
    await page.goto(`${session.web.server.url}#/runs`);
    const badge = page.locator('[data-testid=loses-to-baseline]');
    await badge.waitFor();
    expect(await badge.textContent()).toBe('below raw pixels');
  });

  it('opens the run in the Explorer from the Runs table and from its page, searching with its best checkpoint', async () => {
    const best = (await session.web.core.store.checkpoints(runId)).find((c) => c.kind === 'best')!;
    for (const from of ['#/runs', `#/runs/${runId}`]) {
      await page.goto(`${session.web.server.url}${from}`);
      await page.locator('[data-testid=explore-run-link]').first().click();
      await page.locator('[data-page=explorer]').waitFor();
      await page.waitForFunction(
        (v) => (document.querySelector('select[name=model]') as HTMLSelectElement | null)?.value === v,
        `ckpt:${best.path}`,
      );
      await page.locator('[data-testid=results], .results').first().waitFor();
      expect(await page.locator('select[name=model] option:checked').textContent()).toContain(`#${runId}`);
    }
  }, 60_000);

  it('exports the run to OML from its page, listing what did not carry over', async () => {
    await page.goto(`${session.web.server.url}#/runs/${runId}`);
    await page.locator('[data-testid=export-oml]').click();
    const folder = page.locator('input[name=export-dir]');
    expect(await folder.inputValue()).toBe(path.join(session.dir, 'data', 'exports', `run-${runId}`));
    await page.locator('[data-testid=export-oml-form] button[type=submit]').click();
    const result = page.locator('[data-testid=export-oml-result]');
    await result.waitFor();
    expect(await result.textContent()).toMatch(
      /Wrote df\.csv, train\.yaml, validate\.yaml, train\.py, validate\.py, export_onnx\.py, README\.md/,
    );
    expect(await result.textContent()).toMatch(/extractor small_cnn: OML has no such backbone/);
    const train = YAML.parse(readFileSync(path.join(await folder.inputValue(), 'train.yaml'), 'utf8'));
    expect(train.extractor.args.extractor.name).toBe('resnet');
    await showScreen(page, '32-export-to-oml');
  });

  it("lists raw pixels above the run on the dataset's leaderboard", async () => {
    await page.goto(
      `${session.web.server.url}#/datasets?csv=${encodeURIComponent(SAMPLE_CSV)}&root=${encodeURIComponent(path.dirname(SAMPLE_CSV))}`,
    );
    await page.locator('[data-testid=leaderboard-compute]').click();
    const table = page.locator('[data-testid=leaderboard-table]');
    await table.waitFor({ timeout: 60_000 });
    const rows = await table.locator('tbody tr').allTextContents();
    expect(rows.length).toBe(2);
    expect(rows[0]).toMatch(/raw pixels/);
    expect(rows[1]).toMatch(new RegExp(`run #${runId} .*loses to raw pixels`));
    await showScreen(page, '31-leaderboard');
  }, 90_000);
});
