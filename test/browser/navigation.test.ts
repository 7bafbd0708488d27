import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, showScreen, startBrowserSession, watchErrors } from '../helpers/browser';
import { SAMPLE_CSV } from '../helpers/tmp';

let session: BrowserSession;
let page: Page;

beforeAll(async () => {
  session = await startBrowserSession(
    'ms-browser-',
    async ({ web }) => {
      // A real run in the store, so the Runs page has something to show.
      const store = web.core.store;
      const ds = await store.registerDataset('fashion-mnist-mini', SAMPLE_CSV, path.dirname(SAMPLE_CSV));
      const id = await store.createRun({ name: 'tiny-cnn-triplet', datasetId: ds });
      await store.setStatus(id, 'running', { backend: 'wasm', pid: process.pid });
      await store.logMetrics(id, [
        { step: 100, epoch: 3, key: 'OVERALL/cmc/1', value: 0.8125 },
        { step: 130, epoch: 4, key: 'OVERALL/cmc/1', value: 0.79 },
      ]);
      // A best checkpoint on another dataset: the Explorer (on the sample) must keep to raw pixels for its test.
      const other = await store.registerDataset('elsewhere', '/data/elsewhere/df.csv', '/data/elsewhere');
      const elsewhere = await store.createRun({ name: 'elsewhere-run', datasetId: other });
      await store.recordCheckpoint(elsewhere, { kind: 'best', path: '/x/best', epoch: 3, metricKey: 'OVERALL/cmc/1', metricValue: 0.8125 });
      await store.setStatus(elsewhere, 'finished');
      await store.setStatus(id, 'finished');
    },
    { width: 1280, height: 860 },
  );
  page = session.page;
});

afterAll(async () => {
  await session?.close();
});
// Each step leaves no console error, page error or failed request behind (checked per step, not once at the end).
afterEach(() => expect(session.errors.splice(0)).toEqual([]));

describe('web mode in Chromium', () => {
  it('opens on Datasets with the shipped sample inspected', async () => {
    await page.goto(session.web.server.url);
    const summary = page.locator('[data-testid=dataset-summary]');
    await summary.waitFor();
    await expect(summary.textContent()).resolves.toMatch(/Rows\s*600/);
    // 24 rows per page, each with a decoded thumbnail served by the API.
    await page.waitForFunction(() => document.querySelectorAll('.grid img.thumb').length === 24);
    expect(await page.locator('.grid figcaption').first().textContent()).toMatch(/#2 · T-shirt\/top \(0\)/); // the sample's label names
    expect(await page.locator('.status-bar').textContent()).toContain('web mode');
    await showScreen(page, '1-datasets');
  });

  it('Train shows which backend runs', async () => {
    await page.click('[data-nav=train]');
    const table = page.locator('[data-testid=backends]');
    await table.waitFor();
    const selected = await page.locator('tr.selected td').first().textContent();
    expect(selected).toMatch(/^(wasm|tensorflow|tensorflow-gpu|cpu)\s*selected/);
    // The GPU Dawn found here is lavapipe: listed with its adapter, marked software, and not the one selected.
    const adapter = page.locator('[data-testid=adapter-webgpu]');
    expect(await adapter.textContent()).toMatch(/GPU: mesa software llvmpipe.*software.*largest tensor a kernel binds \d+ MB/s);
    expect(await table.locator('tr', { hasText: 'webgpu' }).getAttribute('class')).not.toContain('selected');
    await showScreen(page, '2-train');
  });

  it('Runs lists the run from the store', async () => {
    await page.click('[data-nav=runs]');
    const table = page.locator('[data-testid=runs-table]');
    // The table's header renders before runs.list answers: wait for the rows themselves.
    await table.locator('tbody tr', { hasText: 'elsewhere-run' }).waitFor();
    const text = await table.textContent();
    expect(text).toContain('tiny-cnn-triplet');
    expect(text).toContain('finished');
    expect(text).toContain('cmc/1 0.813'); // elsewhere-run's best checkpoint
    expect(text).not.toContain('0.790'); // not tiny-cnn-triplet's last value: it has no best checkpoint
    await showScreen(page, '3-runs');
  });

  it('Explorer retrieves gallery items for a query, marked relevant or not', async () => {
    await page.click('[data-nav=explorer]');
    const results = page.locator('[data-testid=explorer-results]');
    await results.locator('figure.tile.hit, figure.tile.miss').first().waitFor();
    const tiles = results.locator('figure.tile.hit, figure.tile.miss');
    expect(await tiles.count()).toBe(10);
    // Raw pixels put most neighbours of a sample query in its label: at least one hit.
    expect(await results.locator('figure.tile.hit').count()).toBeGreaterThan(0);
    await page.locator('.queries ul button').nth(5).click();
    await page.waitForFunction(() => document.querySelector('.queries button.active')?.textContent?.includes('row 307'));
    // The loaded dataset is named; a result that is itself a query becomes the query when clicked.
    expect(await page.locator('[data-testid=explorer-dataset]').textContent()).toContain('fashion-mnist-mini/df.csv');
    const next = results.locator('figure.tile.as-query').first();
    const nextRow = await next.getAttribute('data-row');
    await next.click();
    await page.waitForFunction(
      (row) => document.querySelector('[data-testid=explorer-heading]')?.textContent?.startsWith(`Row ${row} `),
      nextRow,
    );
    // top-k applies at once; an invalid k is refused in the input and the results stay.
    await page.fill('input[name=k]', '3');
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[data-testid=explorer-results] figure.tile.hit, [data-testid=explorer-results] figure.tile.miss')
          .length === 3,
    );
    await page.fill('input[name=k]', '0');
    await page.locator('[data-testid=k-invalid]').waitFor();
    expect(await results.locator('figure.tile.hit, figure.tile.miss').count()).toBe(3);
    expect(await page.locator('.page[data-page=explorer] [role=alert]').count()).toBe(0);
    await page.fill('input[name=k]', '10');
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[data-testid=explorer-results] figure.tile.hit, [data-testid=explorer-results] figure.tile.miss')
          .length === 10,
    );
    // By keyboard: arrow keys move through the queries and Enter searches one; in the results, through the tiles, and
    // Enter on a tile that is itself a query searches it.
    const queryButtons = page.locator('[data-testid=queries] button');
    await queryButtons.nth(1).focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const third = (await queryButtons.nth(3).textContent())!.trim().split(' · ')[0]!; // "row N"
    await page.waitForFunction(
      (t) => document.querySelector('[data-testid=explorer-heading]')?.textContent?.startsWith(`R${t.slice(1)} `),
      third,
    );
    const focusable = results.locator('figure.tile[tabindex]');
    await focusable.first().waitFor();
    const asQuery = await focusable.evaluateAll((els) => els.findIndex((e) => e.classList.contains('as-query')));
    expect(asQuery).toBeGreaterThanOrEqual(0);
    await focusable.first().focus();
    for (let i = 0; i < asQuery; i++) await page.keyboard.press('ArrowRight');
    const target = await focusable.nth(asQuery).getAttribute('data-row');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-row'))).toBe(target);
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (row) => document.querySelector('[data-testid=explorer-heading]')?.textContent?.startsWith(`Row ${row} `),
      target,
    );
    await showScreen(page, '4-explorer');
  });

  it('Explorer searches with an image of your own: picked, dropped or pasted; top-k re-runs it', async () => {
    await page.selectOption('select[name=model]', '');
    // A gallery image of the sample: raw pixels must find that very row at distance 0.
    const lines = readFileSync(SAMPLE_CSV, 'utf8').trim().split('\n');
    const header = lines[0]!.split(',');
    const at = lines.findIndex((l, i) => i > 0 && l.split(',')[header.indexOf('is_gallery')] === 'True');
    const file = path.join(path.dirname(SAMPLE_CSV), lines[at]!.split(',')[header.indexOf('path')]!);
    await page.setInputFiles('input[name=query-image]', file);
    const tiles = page.locator('[data-testid=image-results] figure.tile:not(.query)');
    await tiles.first().waitFor();
    expect(await tiles.count()).toBe(10);
    expect(await tiles.first().getAttribute('data-row')).toBe(String(at + 1));
    expect(await tiles.first().textContent()).toContain('d = 0.000');
    expect(await page.locator('[data-testid=image-heading]').textContent()).toMatch(/exact search over \d+ gallery items/);
    await showScreen(page, '4b-explorer-your-image');

    const send = (kind: 'drop' | 'paste', name: string, type: string, b64: string) =>
      page.evaluate(
        ({ kind, name, type, b64 }) => {
          const dt = new DataTransfer();
          dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type }));
          if (kind === 'drop')
            document
              .querySelector('[data-testid=image-drop]')!
              .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
          else document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
        },
        { kind, name, type, b64 },
      );
    const mirrored = (await sharp(file).flop().png().toBuffer()).toString('base64');
    await send('drop', 'mirrored.png', 'image/png', mirrored);
    await page.waitForFunction(() => document.querySelector('[data-testid=image-heading]')?.textContent?.includes('mirrored.png'));
    await send('paste', 'pasted.png', 'image/png', mirrored);
    await page.waitForFunction(() => document.querySelector('[data-testid=image-heading]')?.textContent?.includes('pasted.png'));
    // Top-k re-runs the image search.
    await page.fill('input[name=k]', '4');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=image-results] figure.tile:not(.query)').length === 4);
    // A file that only claims to be an image: the server reads it and says so; the last results stay.
    await send('drop', 'notes.png', 'image/png', Buffer.from('not an image at all').toString('base64'));
    const alert = page.locator('.page[data-page=explorer] [role=alert]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('not an image');
    expect(await tiles.count()).toBe(4);
    // That refusal is the one failed request of this step (invalid input answers 400).
    expect(session.errors.splice(0)).toEqual(['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await page.fill('input[name=k]', '10');
  });

  it('Explorer shows the embedding map; clicking a query point searches it', async () => {
    await page.locator('.queries ul button').nth(2).click();
    await page.locator('[data-testid=explorer-results] figure.tile').first().waitFor();
    await page.click('[data-testid=show-map]');
    const map = page.locator('[data-testid=embedding-map]');
    // Every validation item embedded and projected in a worker: a loaded machine takes longer than 30 s. The map or
    // the page's error, whichever comes: a failed request then fails here with its words (a CI run once timed out
    // with nothing to go on).
    const alert = page.locator('.page[data-page=explorer] [role=alert]');
    await map.or(alert).first().waitFor({ timeout: 90_000 });
    expect(await alert.allTextContents()).toEqual([]);
    expect(await page.locator('[data-testid=map-card] h2').textContent()).toMatch(/PCA of \d+ validation items/);
    // Drawn: coloured pixels on the canvas.
    const painted = await map.evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(500);
    // A ringed result that is itself a query: click its point, and it becomes the query.
    const queryRows = await page
      .locator('[data-testid=explorer-results] figure.tile.as-query')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-row')));
    const rings = ((await map.getAttribute('data-rings')) ?? '').split(';').map((r) => r.split(':'));
    const target = rings.find(([row]) => queryRows.includes(row!))!;
    expect(target).toBeDefined();
    await map.click({ position: { x: Number(target[1]), y: Number(target[2]) } });
    await page.waitForFunction(
      (row) => document.querySelector('[data-testid=explorer-heading]')?.textContent?.startsWith(`Row ${row} `),
      target[0],
    );
    // Hovering a point shows its image and label: the row's own, as the CSV has them.
    const other = rings.find(([row]) => row !== target[0])!;
    await map.hover({ position: { x: Number(other[1]), y: Number(other[2]) } });
    const card = page.locator(`[data-testid=map-hover][data-row="${other[0]}"]`);
    await card.locator('img.thumb').waitFor();
    const csv = readFileSync(SAMPLE_CSV, 'utf8').trim().split('\n');
    const [header, line] = [csv[0]!.split(','), csv[Number(other[0]) - 1]!.split(',')];
    expect(await card.textContent()).toContain(`(${line[header.indexOf('label')]})`);
    expect(await card.locator('img.thumb').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    // A legend names each label's colour: every validation label of the sample, by name.
    const legend = await page.locator('[data-testid=map-legend] li').allTextContents();
    const validation = new Set(
      csv.slice(1).flatMap((l) => (l.split(',')[header.indexOf('split')] === 'validation' ? [l.split(',')[header.indexOf('label')]] : [])),
    );
    expect(legend).toHaveLength(validation.size);
    expect(legend).toContain('Shirt (6)');
    await showScreen(page, '4c-explorer-map-hover');
    await page.mouse.move(0, 0);
    await card.waitFor({ state: 'detached' });
    await page.selectOption('select[name=map-colour]', 'correct');
    await showScreen(page, '4c-explorer-map');
    // UMAP: laid out in a worker on request, the caption says of how many items.
    const pcaPixels = await map.evaluate((c: HTMLCanvasElement) => c.toDataURL());
    await page.selectOption('select[name=map-projection]', 'umap');
    await page.click('[data-testid=show-map]');
    await page.waitForFunction(
      () => /UMAP of \d+ validation items/.test(document.querySelector('[data-testid=map-caption]')?.textContent ?? ''),
      null,
      {
        timeout: 60_000,
      },
    );
    expect(await map.getAttribute('aria-label')).toMatch(/on a UMAP map/);
    expect(await map.evaluate((c: HTMLCanvasElement) => c.toDataURL())).not.toBe(pcaPixels);
    await showScreen(page, '4d-explorer-umap');
  });

  it('Zoo lists the catalogue', async () => {
    await page.click('[data-nav=zoo]');
    await page.locator('.zoo-entry').first().waitFor();
    expect(await page.locator('.zoo-entry').count()).toBeGreaterThanOrEqual(2);
    const first = await page.locator('.zoo-entry').first().textContent();
    expect(first).toContain('576-d from block_13_expand_relu');
    expect(first).toContain('not downloaded');
    expect(await page.locator('.zoo-entry [data-testid=download]').count()).toBeGreaterThanOrEqual(2);
    await showScreen(page, '5-zoo');
  });

  it('About shows the version and the data folder (no file-manager button in web mode)', async () => {
    await page.click('[data-nav=about]');
    await page.locator('[data-testid=data-dir]').waitFor();
    expect(await page.locator('[data-testid=data-dir]').textContent()).toBe(path.join(session.dir, 'data'));
    expect(await page.locator('[data-testid=open-data-folder]').count()).toBe(0);
    await page.locator('text=Compute backends').waitFor();
    await showScreen(page, '22-about');
  });

  it('a menu navigation from the desktop shell shows its page; recent datasets list; a new launch opens the last page', async () => {
    // What File → Open recent sends: the event reaches the page over this transport and opens the table.
    const seen = path.join(path.dirname(SAMPLE_CSV), 'df_seen.csv');
    session.web.core.hub.emit('app.navigate', { path: `/datasets?csv=${encodeURIComponent(seen)}` });
    await page.waitForFunction(() => location.hash.startsWith('#/datasets?csv='));
    await page.waitForFunction((csv) => (document.querySelector('input[name=csvPath]') as HTMLInputElement)?.value === csv, seen);
    await page.locator('[data-testid=dataset-summary]').waitFor();
    // Newest first: the table just opened, then the sample opened at the start.
    await page.waitForFunction((csv) => document.querySelector('[data-testid=recent-datasets] a')?.getAttribute('title') === csv, seen);
    const titles = await page.locator('[data-testid=recent-datasets] a').evaluateAll((els) => els.map((e) => e.getAttribute('title')));
    expect(titles.slice(0, 2)).toEqual([seen, SAMPLE_CSV]);
    await page.click('[data-nav=runs]');
    await page.locator('[data-page=runs]').waitFor();
    // A new launch: a new window on the start URL, with the same storage — the Runs page again, not Datasets. A new
    // page rather than a reload of this one: a reload cut off this page's requests in flight, which the error watch
    // then reported (a flake in two of about ten full runs).
    const launch = await page.context().newPage();
    const launchErrors = watchErrors(launch);
    await launch.goto(page.url().replace(/#.*$/, ''));
    await launch.locator('[data-page=runs]').waitFor();
    expect(new URL(launch.url()).hash).toBe('#/runs');
    expect(launchErrors).toEqual([]);
    await launch.close();
  });
});
