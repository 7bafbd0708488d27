// The data-quality report on real images with planted problems (helpers/planted.ts): copies of images put into the
// other split after a re-encode and resize (leaks), labels flipped on 5 % of rows (mislabels), one label renamed in
// half its rows (two names for one identity). The real CLI, its worker jobs, raw pixels as the model.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore } from '../../main/services/core';
import { cli } from '../helpers/cli';
import { type Planted, PLANTED_ROOT as ROOT, plantProblems } from '../helpers/planted';
import { tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
let csv: string;
let planted: Planted;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-quality-'));
  planted = await plantProblems(dir);
  csv = planted.csv;
}, 60_000);
afterAll(() => cleanup());

/** `metric-studio quality` on the planted CSV with raw pixels, its data folder in the test's. */
const quality = (...extra: string[]) =>
  cli(['quality', '--dataset', csv, '--root', ROOT, '--baseline', 'raw-pixels', '--data-dir', path.join(dir, 'data'), ...extra]);

describe('metric-studio quality', () => {
  it('finds the planted leaks, mislabels and the renamed label with raw pixels', () => {
    const r = quality('--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.rows).toBe(610);
    expect(report.dup_threshold_rule).toMatch(/0\.25 × the median nearest-neighbour distance/);
    // Every leak: its two rows in one cluster, flagged across splits.
    const clusters = report.near_duplicates as { rows: number[]; cross_split: boolean; splits: string[]; paths: string[] }[];
    const found = planted.leaks.filter(([a, b]) => clusters.some((c) => c.rows.includes(a) && c.rows.includes(b) && c.cross_split));
    expect(found.length).toBe(10);
    const leaks = clusters.filter((c) => c.cross_split);
    // Precision of the leak flags: planted pairs among every cluster flagged across splits.
    expect(
      leaks.filter((c) => planted.leaks.some(([a, b]) => c.rows.includes(a) && c.rows.includes(b))).length / leaks.length,
    ).toBeGreaterThanOrEqual(0.9);
    // Mislabels: most flips found, and most rows flagged are flips (raw pixels confuse sandals and sneakers too).
    const flagged = new Set((report.suspected_mislabels as { row: number }[]).map((m) => m.row));
    const hits = [...planted.flipped].filter((row) => flagged.has(row)).length;
    const recall = hits / planted.flipped.size;
    const precision = hits / flagged.size;
    console.log(
      `quality on the planted sample: leaks ${found.length}/10 (${leaks.length} cross-split clusters), mislabels recall ${recall.toFixed(2)} precision ${precision.toFixed(2)} (${flagged.size} flagged)`,
    );
    expect(recall).toBeGreaterThanOrEqual(0.5);
    expect(precision).toBeGreaterThanOrEqual(0.2);
    const m = (report.suspected_mislabels as { row: number; label: number; suggested_label: number; score: number; path: string }[])[0]!;
    expect(m.score).toBeGreaterThanOrEqual(0.6);
    expect(m.suggested_label).not.toBe(m.label);
    // The rename: labels 7 and 11 are each other's nearest neighbours.
    expect((report.label_overlap as { labels: number[] }[]).map((o) => o.labels.join(','))).toContain('7,11');
    // Again: read back, the same report.
    const again = JSON.parse(quality('--json').stdout);
    expect(again.cached).toBe(true);
    expect(again.near_duplicates).toEqual(report.near_duplicates);
  }, 120_000);

  it('takes a threshold, and refuses what it cannot use', () => {
    const strict = JSON.parse(quality('--dup-threshold', '0', '--json').stdout);
    expect(strict.dup_threshold).toBe(0);
    expect(strict.dup_threshold_rule).toBe('given (--dup-threshold 0)');
    expect(strict.near_duplicates.length).toBe(0);
    expect(quality('--dup-threshold', '9').stderr).toMatch(/--dup-threshold must be a distance from 0 to 4/);
    expect(cli(['quality', '--dataset', csv]).stderr).toMatch(/one of --checkpoint, --zoo or --baseline are required/);
  }, 60_000);

  it('warns on a run whose validation rows have near duplicates among its training rows, and not on the fixed version', async () => {
    const core = await startCore(path.join(dir, 'core-data'), 'web', () => {});
    try {
      const call = async (method: string, input: unknown) => {
        const res = await core.dispatch(method as never, input as never);
        if (!res.ok) throw new Error(`${method}: ${res.error.message}`);
        return res.result as never;
      };
      await call('datasets.inspect', { csvPath: csv, root: ROOT, checkFiles: false });
      const runOn = async (file: string) =>
        core.store.createRun({ name: 'leaky', datasetId: await core.store.registerDataset('q', file, ROOT), status: 'finished' });
      const leaks = (await call('runs.leaks', { id: await runOn(csv) })) as {
        checked: boolean;
        leakedRows: number;
        validationRows: number;
        message: string;
        clusters: { rows: number[] }[];
      };
      expect(leaks.checked).toBe(true);
      expect(leaks.leakedRows).toBe(10);
      expect(leaks.message).toMatch(/^10 of \d+ validation rows have near duplicates among the training rows \(raw pixels.*inflated/);
      // Keep the training copy of each leak: the new version has none, and a run on it is told so.
      const made = (await call('datasets.writeVersion', {
        csvPath: csv,
        root: ROOT,
        changes: planted.leaks.map(([a, b]) => ({ action: 'keep', rows: [a, b], keep: a })),
      })) as { csvPath: string; changes: number };
      expect(made.changes).toBe(10);
      const fixed = (await call('runs.leaks', { id: await runOn(made.csvPath) })) as { leakedRows: number; message: string };
      expect(fixed.leakedRows).toBe(0);
      expect(fixed.message).toMatch(/^No validation row has a near duplicate among the training rows/);
    } finally {
      await core.close();
    }
  }, 120_000);
});
