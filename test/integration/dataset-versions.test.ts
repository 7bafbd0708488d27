// Fixes as a new version, through the API both transports serve: relabel + exclude + merge + keep-one on the shipped
// sample → df.v2.csv passes the checker, the original's bytes are unchanged, the change log lists every row touched,
// Datasets lists both versions, and a run on the new version records its digest. Bad changes are refused by name.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Core, startCore } from '../../main/services/core';
import { SAMPLE_ROOT, seenLabelsCsv, smallConfig } from '../helpers/training';
import { tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
let core: Core;
let csv: string;
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function call(method: string, input: unknown) {
  const res = await core.dispatch(method as never, input as never);
  if (!res.ok) throw new Error(`${method}: ${res.error.message}`);
  return res.result as never;
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-versions-'));
  csv = seenLabelsCsv(dir);
  core = await startCore(path.join(dir, 'data'), 'web', () => {});
  await call('datasets.inspect', { csvPath: csv, root: SAMPLE_ROOT });
});
afterAll(async () => {
  await core.close();
  cleanup();
});

describe('dataset versions from fixes', () => {
  it('writes df.v2 beside the original with its change log, checks and registers it, and a run on it records its digest', async () => {
    const root = smallConfig(csv).dataset_root!;
    const before = sha(csv);
    const rows = parse(readFileSync(csv)) as string[][];
    // Row 2 excluded; rows 3 and 4 a "duplicate cluster"; label 9 merged into 8; row 40 relabelled.
    expect(rows[39]![0]).not.toBe('6');
    // Row 40 is relabelled and row 2 excluded before the merge: neither is merged.
    const label9 = rows.filter((r, i) => r[0] === '9' && i !== 1 && i !== 39).length;
    const made = (await call('datasets.writeVersion', {
      csvPath: csv,
      root,
      changes: [
        { action: 'relabel', row: 40, label: 6 },
        { action: 'exclude', row: 2 },
        { action: 'merge', from: 9, into: 8 },
        { action: 'keep', rows: [3, 4], keep: 3 },
      ],
    })) as {
      csvPath: string;
      changesPath: string;
      version: number;
      rows: number;
      changes: number;
      report: { ok: boolean; errors: number };
    };
    expect(made.csvPath).toBe(path.join(dir, 'seen.v2.csv'));
    expect(made.changesPath).toBe(path.join(dir, 'seen.v2.changes.csv'));
    expect(made.version).toBe(2);
    expect(made.report.ok).toBe(true);
    expect(made.rows).toBe(rows.length - 1 - 2);
    expect(sha(csv)).toBe(before);
    // The log: one line per row touched, with the original's row numbers.
    const log = parse(readFileSync(made.changesPath), { columns: true }) as { row: string; action: string; old: string; new: string }[];
    expect(log.length).toBe(made.changes);
    expect(log.length).toBe(1 + 1 + label9 + 1);
    expect(log[0]).toEqual({ row: '40', action: 'relabel', old: rows[39]![0], new: '6' });
    expect(log[1]).toEqual({ row: '2', action: 'exclude', old: rows[1]![1], new: '' });
    expect(log.filter((l) => l.action === 'merge').every((l) => l.old === '9' && l.new === '8')).toBe(true);
    expect(log.at(-1)).toEqual({ row: '4', action: 'drop_duplicate', old: rows[3]![1], new: 'kept row 3' });
    const v2 = parse(readFileSync(made.csvPath)) as string[][];
    expect(v2.some((r) => r[0] === '9')).toBe(false);
    expect(v2.some((r) => r[1] === rows[1]![1] || r[1] === rows[3]![1])).toBe(false);
    // Both versions in one family, from either file.
    for (const from of [csv, made.csvPath]) {
      const versions = (await call('datasets.versions', { csvPath: from })) as {
        csvPath: string;
        version: number;
        parentCsv: string | null;
      }[];
      expect(versions.map((v) => [path.basename(v.csvPath), v.version, v.parentCsv && path.basename(v.parentCsv)])).toEqual([
        ['seen.csv', 1, null],
        ['seen.v2.csv', 2, 'seen.csv'],
      ]);
    }
    // A fix on v2 makes v3 (v2's bytes untouched too).
    const v2sha = sha(made.csvPath);
    const v3 = (await call('datasets.writeVersion', { csvPath: made.csvPath, root, changes: [{ action: 'exclude', row: 2 }] })) as {
      csvPath: string;
    };
    expect(path.basename(v3.csvPath)).toBe('seen.v3.csv');
    expect(sha(made.csvPath)).toBe(v2sha);

    // A run on v2 records the digest of the file it read.
    const yaml = stringify(smallConfig(made.csvPath, { max_epochs: 1, valid_period: 1 }));
    const { runId } = (await call('train.start', { yaml, baseDir: dir })) as { runId: number };
    for (let i = 0; i < 600; i++) {
      const run = (await call('runs.get', { id: runId })) as { status: string };
      if (!['queued', 'running'].includes(run.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const run = (await call('runs.get', { id: runId })) as { datasetCsv: string; datasetDigest: string; status: string };
    expect(run.status).toBe('finished');
    expect(run.datasetCsv).toBe(made.csvPath);
    expect(run.datasetDigest).toBe(v2sha);
  }, 120_000);

  it('refuses changes that name no row, merge a label into itself, or would break the dataset; nothing is left behind', async () => {
    const root = smallConfig(csv).dataset_root!;
    const refused = async (changes: unknown[]) => {
      const res = await core.dispatch('datasets.writeVersion', { csvPath: csv, root, changes } as never);
      expect(res.ok).toBe(false);
      return res.ok ? '' : res.error.message;
    };
    expect(await refused([{ action: 'exclude', row: 100_000 }])).toMatch(
      /seen\.csv: change 1 \(exclude\) names row 100000, but the file's last row is \d+/,
    );
    expect(await refused([{ action: 'merge', from: 5, into: 5 }])).toMatch(/merges label 5 into itself/);
    expect(await refused([{ action: 'merge', from: 77, into: 5 }])).toMatch(/no row has label 77/);
    expect(await refused([{ action: 'keep', rows: [3, 4], keep: 5 }])).toMatch(/row 5 is not one of the cluster's rows/);
    expect(await refused([{ action: 'relabel', row: 2, label: -1 }])).toMatch(/label/);
    // A query relabelled to a label no gallery row has: the checker refuses the version, and it is removed.
    const rows = parse(readFileSync(csv)) as string[][];
    const queries = path.join(dir, 'queries.csv');
    const q = rows.findIndex((r) => r[2] === 'validation');
    rows[q]![4] = 'False';
    writeFileSync(queries, rows.map((r) => r.join(',')).join('\n'));
    await call('datasets.inspect', { csvPath: queries, root: SAMPLE_ROOT });
    const broken = await core.dispatch('datasets.writeVersion', {
      csvPath: queries,
      root,
      changes: [{ action: 'relabel', row: q + 1, label: 77 }],
    } as never);
    expect(broken.ok ? '' : broken.error.message).toMatch(
      new RegExp(
        `queries\\.v2\\.csv would not be a valid dataset, so it was not kept:\\nqueries\\.v2\\.csv row ${q + 1}, label: query labels absent from the gallery: 77`,
      ),
    );
    expect(existsSync(path.join(dir, 'queries.v2.csv'))).toBe(false);
    expect(existsSync(path.join(dir, 'queries.v2.changes.csv'))).toBe(false);
    // An unregistered CSV is not written beside.
    const other = path.join(dir, 'other.csv');
    writeFileSync(other, readFileSync(csv));
    const res = await core.dispatch('datasets.writeVersion', { csvPath: other, changes: [{ action: 'exclude', row: 2 }] } as never);
    expect(res).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(existsSync(path.join(dir, 'other.v2.csv'))).toBe(false);
  });
});
