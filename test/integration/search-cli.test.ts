// `metric-studio search`: a query by a new image, in its own process — the gallery of a dataset embedded by the
// model in a worker, the query image by the same model, the k nearest gallery items listed.
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { rawPixelVector } from '../../main/engine/embed/raw-pixels';
import { cli } from '../helpers/cli';
import { SAMPLE_CSV, tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('ms-search-')));
afterAll(() => cleanup());

const root = path.dirname(SAMPLE_CSV);
const rows = readFileSync(SAMPLE_CSV, 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(','));

describe('metric-studio search', () => {
  it('lists the k nearest gallery items of new images, as a brute-force ranking of the same vectors gives them', async () => {
    // A gallery image copied elsewhere (it must find itself at distance 0) and a new one: another mirrored.
    const gallery = rows.map((r, i) => ({ row: i + 2, label: Number(r[0]), path: r[1]! })).filter((_, i) => rows[i]![4] === 'True');
    const same = path.join(dir, 'same.png');
    copyFileSync(path.join(root, gallery[7]!.path), same);
    const mirrored = path.join(dir, 'mirrored.png');
    await sharp(path.join(root, gallery[40]!.path)).flop().toFile(mirrored);
    const r = cli(
      ['search', '--dataset', SAMPLE_CSV, '--baseline', 'raw-pixels', '--query', same, '--query', mirrored, '-k', '5', '--json'],
      {
        METRIC_STUDIO_DATA_DIR: path.join(dir, 'data'),
      },
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout) as {
      index: string;
      results: { query: string; results: { row: number; distance: number; label: number }[] }[];
    };
    expect(got.index).toBe('exact'); // a sample-sized gallery: far below the size where HNSW takes over
    expect(got.results.map((x) => x.query)).toEqual([same, mirrored]);
    const vectors = await Promise.all(gallery.map((g) => rawPixelVector(path.join(root, g.path), null)));
    for (const [i, file] of [same, mirrored].entries()) {
      const q = await rawPixelVector(file, null);
      const brute = gallery
        .map((g, j) => ({ row: g.row, label: g.label, distance: Math.sqrt(vectors[j]!.reduce((s, v, d) => s + (v - q[d]!) ** 2, 0)) }))
        .sort((a, b) => a.distance - b.distance)
        .slice(0, 5);
      const mine = got.results[i]!.results;
      expect(mine.map((x) => x.row)).toEqual(brute.map((x) => x.row));
      mine.forEach((x, j) => {
        expect(x.distance).toBeCloseTo(brute[j]!.distance, 4);
        expect(x.label).toBe(brute[j]!.label);
      });
    }
    expect(got.results[0]!.results[0]).toMatchObject({ row: gallery[7]!.row });
    expect(got.results[0]!.results[0]!.distance).toBeLessThan(1e-3);
  }, 90_000);

  it('names what is wrong: a missing image, a file that is no image, k out of range, no model', () => {
    const env = { METRIC_STUDIO_DATA_DIR: path.join(dir, 'data') };
    const missing = cli(['search', '--dataset', SAMPLE_CSV, '--baseline', 'raw-pixels', '--query', path.join(dir, 'nope.png')], env);
    expect([missing.code, missing.stderr]).toEqual([
      1,
      expect.stringContaining(`--query ${path.join(dir, 'nope.png')}: no such image file`),
    ]);
    const notImage = cli(['search', '--dataset', SAMPLE_CSV, '--baseline', 'raw-pixels', '--query', SAMPLE_CSV], env);
    expect([notImage.code, notImage.stderr]).toEqual([1, expect.stringContaining('not an image file type')]);
    const badK = cli(['search', '--dataset', SAMPLE_CSV, '--baseline', 'raw-pixels', '--query', SAMPLE_CSV, '-k', '0'], env);
    expect([badK.code, badK.stderr]).toEqual([2, expect.stringContaining('-k must be a whole number from 1 to 1000, got "0"')]);
    const noModel = cli(['search', '--dataset', SAMPLE_CSV, '--query', SAMPLE_CSV], env);
    expect(noModel.code).toBe(2);
    for (const x of [missing, notImage, badK, noModel]) expect(x.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
