import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfig } from '../../shared/schemas/config';
import { analyze, convert } from '../../main/dataset/convert/convert';
import { inspectDataset } from '../../main/dataset/inspect';
import { stringify } from 'csv-stringify/sync';
import { labelNamesOf } from '../../main/services/datasets';
import { DEFAULT_SPLIT } from '../../main/dataset/convert/plan';
import { train } from '../../main/engine/train/trainer';
import { cli } from '../helpers/cli';
import { makeImageFolder } from '../helpers/image-folders';
import { SAMPLE_CSV, tempDir } from '../helpers/tmp';
import { smallConfig } from '../helpers/training';

let dir: string;
let cleanup: () => void;
let photosGood: number;
// The image folders every test reads (none depends on another test's output: each runs alone with -t).
beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-convert-'));
  ({ good: photosGood } = await makeImageFolder(path.join(dir, 'photos'), { perLabel: 6 }));
  await makeImageFolder(path.join(dir, 'nested'), { perLabel: 5, categories: true });
});
afterAll(() => cleanup());

const codes = (ps: { code: string }[]) => ps.map((p) => p.code);

describe('convert a folder of images', () => {
  it('lists a picture found under two labels (a copy, a re-encode) as a conflict, drops every copy, or keeps each on request', async () => {
    const src = path.join(dir, 'conflicts');
    const { good } = await makeImageFolder(src, { perLabel: 4 });
    copyFileSync(path.join(src, 'Trouser', 'img 0 é.png'), path.join(src, 'Dress', 'same.png'));
    await sharp(path.join(src, 'Coat', 'img 1 é.png'))
      .resize(26, 26)
      .resize(28, 28)
      .jpeg({ quality: 80 })
      .toFile(path.join(src, 'Bag', 'reencoded.jpg'));
    const r = await analyze({ source: src, split: { ...DEFAULT_SPLIT, seed: 3 } });
    const conflicts = r.problems.filter((p) => p.code === 'label_conflict');
    expect(conflicts.map((p) => p.path).sort()).toEqual(['Bag/reencoded.jpg', 'Coat/img 1 é.png', 'Dress/same.png', 'Trouser/img 0 é.png']);
    expect(conflicts.find((p) => p.path === 'Dress/same.png')!.message).toBe(
      'label "Dress", but the same file is also "Trouser/img 0 é.png" (label "Trouser") — which label is right? Dropped, with every copy',
    );
    expect(conflicts.find((p) => p.path === 'Bag/reencoded.jpg')!.message).toMatch(
      /near-identical image .* is also "Coat\/img 1 é\.png" \(label "Coat"\)/,
    );
    // The folder's own trouble (a byte-identical copy within a label) is still a duplicate, not a conflict.
    expect(r.problems.filter((p) => p.code === 'duplicate_file').map((p) => p.path)).toEqual(['T-shirt top/img 0 é.png']); // listed after its copy
    expect(r.plan.rows).toHaveLength(good - 2);
    const kept = await analyze({ source: src, split: { ...DEFAULT_SPLIT, seed: 3, dropConflicts: false } });
    expect(kept.plan.rows).toHaveLength(good + 2);
  });

  it('makes a label-disjoint OML dataset, reporting every bad file, and the result passes check', async () => {
    const src = path.join(dir, 'photos');
    const good = photosGood;
    const out = path.join(src, 'df.csv');
    const r = await convert({ source: src, out, split: { ...DEFAULT_SPLIT, valFraction: 0.4, seed: 3 } });
    expect(codes(r.analysis.problems)).toEqual(
      expect.arrayContaining(['image_unreadable', 'not_an_image', 'duplicate_file', 'single_instance_label']),
    );
    const unreadable = r.analysis.problems.filter((p) => p.code === 'image_unreadable').map((p) => p.path);
    expect(unreadable.sort()).toEqual(['T-shirt top/empty.jpg', 'T-shirt top/truncated.png']);
    expect(r.report.ok).toBe(true);
    expect(r.report.errors).toBe(0);
    expect(r.analysis.plan.rows).toHaveLength(good);

    const csv = readFileSync(out, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('label,path,split,is_query,is_gallery');
    const rows = csv.slice(1).map((l) => l.split(','));
    const trainLabels = new Set(rows.filter((x) => x[2] === 'train').map((x) => x[0]));
    const valLabels = new Set(rows.filter((x) => x[2] === 'validation').map((x) => x[0]));
    expect([...trainLabels].filter((l) => valLabels.has(l))).toEqual([]); // label-disjoint
    expect(valLabels.size).toBe(4); // 40 % of 10 labels (the single-image label was dropped from train or is in val)
    expect(rows.some((x) => x[1] === 'Ankle bööt/img 0 é.png')).toBe(true);
    for (const x of rows.filter((y) => y[2] === 'validation')) expect([x[3], x[4]]).toEqual(['True', 'True']);

    const summary = JSON.parse(readFileSync(r.summary, 'utf8'));
    expect(Object.values(summary.labelNames)).toContain('Ankle bööt');
    expect(summary.rows).toBe(good);
    // Every row's label id names its own folder, as the app reads it back (Datasets, Runs, Explorer).
    const names = await labelNamesOf(out);
    for (const x of rows) expect(names.get(Number(x[0]))).toBe(x[1]!.split('/')[0]);

    // The same split again from the same seed; a different seed moves labels.
    const again = await analyze({ source: src, split: { ...DEFAULT_SPLIT, valFraction: 0.4, seed: 3 } });
    expect([...again.plan.rows].map((x) => `${x.label}${x.split}`)).toEqual([...r.analysis.plan.rows].map((x) => `${x.label}${x.split}`));
  });

  it('reads nested category folders and makes InShop-style query/gallery splits', async () => {
    const src = path.join(dir, 'nested');
    const r = await analyze({ source: src, split: { ...DEFAULT_SPLIT, valFraction: 0.5, queryFraction: 0.4 } });
    const val = [...r.plan.rows].filter((x) => x.split === 'validation');
    expect(new Set([...r.plan.rows].map((x) => x.category))).toEqual(new Set(['tops', 'bottoms', 'dresses', 'shoes', 'bags', 'misc']));
    const byLabel = new Map<number, typeof val>();
    for (const x of val) byLabel.set(x.label, [...(byLabel.get(x.label) ?? []), x]);
    for (const items of byLabel.values()) {
      if (items.length < 2) continue;
      expect(items.filter((x) => x.isQuery).length).toBe(2); // 40 % of 5
      expect(items.every((x) => x.isQuery !== x.isGallery)).toBe(true);
    }
  });

  it('loads in the trainer: the run reads the converted rows and validates on them', async () => {
    const out = path.join(dir, 'for-training', 'df.csv');
    const r = await convert({ source: path.join(dir, 'photos'), out, split: { ...DEFAULT_SPLIT, valFraction: 0.4, seed: 3 } });
    const rows = [...r.analysis.plan.rows];
    const trainRows = rows.filter((x) => x.split === 'train');
    const cfg = TrainConfig.parse(
      smallConfig(out, {
        dataset_root: null,
        max_epochs: 1,
        valid_period: 1,
        sampler: { name: 'balance', args: { n_labels: 2, n_instances: 3 } },
      }),
    );
    const logs: string[] = [];
    const result = await train({
      config: cfg,
      baseDir: path.dirname(out),
      outDir: path.join(dir, 'train-out'),
      runId: 1,
      emit: (e) => e.type === 'log' && logs.push(e.message),
      shouldStop: () => false,
    });
    expect(result.status).toBe('finished');
    const labels = new Set(trainRows.map((x) => x.label)).size;
    expect(logs).toContain(`dataset: ${trainRows.length} train rows (${labels} labels), ${rows.length - trainRows.length} validation rows`);
    const cmc = result.lastMetrics['OVERALL/cmc/1']!;
    // Every validation row is a query: CMC@1 is a whole number of hits over them.
    const queries = rows.length - trainRows.length;
    expect(Math.abs(cmc * queries - Math.round(cmc * queries))).toBeLessThan(1e-9);
    expect(cmc).toBeGreaterThanOrEqual(0);
    expect(cmc).toBeLessThanOrEqual(1);
  }, 60_000);
});

/** A tab-separated table over the photos folder: x,y,w,h boxes, a row without a path, a box outside its image. */
function writeTable(): void {
  const lines = ['file\tclass\tx\ty\tw\th'];
  for (const name of ['Coat', 'Dress', 'Sandal', 'Bag']) {
    for (let i = 0; i < 4; i++) lines.push(`${name}/img ${i} é.png\t${name}\t2\t3\t20\t20`);
  }
  lines.push('\tCoat\t0\t0\t1\t1');
  lines.push('Coat/img 5 é.png\tCoat\t20\t20\t30\t30');
  writeFileSync(path.join(dir, 'table.tsv'), `${lines.join('\n')}\n`);
}

describe('convert a table', () => {
  it('maps columns (string labels, x,y,w,h boxes) and names bad rows', async () => {
    const src = path.join(dir, 'photos');
    writeTable();
    const r = await convert({
      source: path.join(dir, 'table.tsv'),
      root: src,
      out: path.join(dir, 'out', 'df.csv'),
      mapping: { path: 'file', label: 'class', bbox: { format: 'xywh', columns: ['x', 'y', 'w', 'h'] } },
      split: { ...DEFAULT_SPLIT, valLabels: 2 },
    });
    expect(r.analysis.kind).toBe('table');
    expect(r.analysis.problems.find((p) => p.code === 'row_incomplete')!.message).toContain('row 18');
    expect(r.analysis.problems.find((p) => p.code === 'bbox_outside_image')!.path).toBe('Coat/img 5 é.png');
    const csv = readFileSync(r.csv, 'utf8').split('\n');
    expect(csv[0]).toBe('label,path,split,is_query,is_gallery,x_1,x_2,y_1,y_2');
    expect(csv.find((l) => l.includes('Dress/img 0'))).toMatch(/^\d,\.\.\/photos\/Dress\/img 0 é\.png,(train|validation),.*,2,22,3,23$/);
    expect(r.report.ok).toBe(true);
  });

  it('writes a table longer than one write block (8,192 rows) whole: one header, every row once', async () => {
    const rows = 20_000;
    const lines = ['file,class', ...Array.from({ length: rows }, (_, i) => `img/${i}.jpg,id_${Math.floor(i / 4)}`)];
    writeFileSync(path.join(dir, 'long.csv'), `${lines.join('\n')}\n`);
    const r = await convert({
      source: path.join(dir, 'long.csv'),
      out: path.join(dir, 'long-out', 'df.csv'),
      split: { ...DEFAULT_SPLIT, valFraction: 0.2 },
      checkImages: false,
    });
    const written = readFileSync(r.csv, 'utf8').trimEnd().split('\n');
    expect(written.filter((l) => l.startsWith('label,'))).toHaveLength(1);
    expect(written).toHaveLength(rows + 1);
    const paths = written.slice(1).map((l) => l.split(',')[1]!);
    expect(new Set(paths).size).toBe(rows);
    expect(r.report.summary.rows).toBe(rows);
    // Checked as written, not read back: the same report as check's reading of the file.
    expect(r.report).toEqual((await inspectDataset(r.csv, { checkFiles: false })).report);
  });

  it('reports what check reports on the written file, with and without line breaks in its cells', async () => {
    const plain = ['plain.jpg', 'with,comma.jpg', 'with "quote".jpg', 'é ü.jpg'];
    const broken = ['line\nbreak.jpg', 'carriage\rreturn.jpg'];
    for (const [label, names] of [
      ['commas and quotes: checked as written', plain],
      ['line breaks: read back', [...plain, ...broken]],
    ] as const) {
      const records = names.flatMap((n, i) =>
        [0, 1, 2].map((k) => [`dir ${k}/${n}`, `id ${i}, "x"`, label.startsWith('line') ? `cat\n${k}` : `cat, ${k}`]),
      );
      const source = path.join(dir, `odd-${names.length}.csv`);
      writeFileSync(source, stringify(records, { header: true, columns: ['file', 'class', 'category'] }));
      const r = await convert({
        source,
        out: path.join(dir, `odd-out-${names.length}`, 'df.csv'),
        split: { ...DEFAULT_SPLIT, valLabels: 2 },
        checkImages: false,
      });
      expect(r.report.summary.rows, label).toBe(records.length);
      expect(r.report, label).toEqual((await inspectDataset(r.csv, { checkFiles: false })).report);
    }
  });

  it('reads split and flag words other tools write, skips rows it cannot read (naming row and column), refuses a doubled header', async () => {
    const lines = ['file,class,split,is_query,is_gallery'];
    const add = (name: string, i: number, split: string, q: string, g: string) =>
      lines.push(`${name}/img ${i} é.png,${name},${split},${q},${g}`);
    for (let i = 0; i < 4; i++) add('Coat', i, 'train', '', '');
    for (let i = 0; i < 3; i++) add('Dress', i, 'test', i === 0 ? 'yes' : 'no', i === 0 ? 'no' : 'yes');
    for (let i = 0; i < 3; i++) add('Sandal', i, 'val', 'Y', 'Y');
    add('Sandal', 3, 'val', 'maybe', 'Y');
    add('Bag', 0, 'holdout', '', '');
    const table = path.join(dir, 'words.csv');
    writeFileSync(table, `${lines.join('\n')}\n`);
    const r = await convert({
      source: table,
      root: path.join(dir, 'photos'),
      out: path.join(dir, 'words-out', 'df.csv'),
      mapping: { path: 'file', label: 'class', split: 'split', isQuery: 'is_query', isGallery: 'is_gallery' },
      split: { ...DEFAULT_SPLIT, keepSplit: true },
    });
    const problem = (code: string) => r.analysis.problems.filter((p) => p.code === code).map((p) => p.message);
    expect(problem('cell_unreadable')).toEqual([
      'row 12: skipped: column is_query is "maybe", expected true or false (1/0, yes/no)',
      'row 13: skipped: column split is "holdout", expected train or validation (val/test)',
    ]);
    expect(problem('split_renamed')).toEqual(['split "test" read as validation (3 row(s))', 'split "val" read as validation (3 row(s))']);
    const rows = readFileSync(r.csv, 'utf8').trim().split('\n').slice(1);
    const dress = rows.filter((l) => l.includes('Dress/'));
    // "test" was turned into train and "yes" into false before.
    expect(dress.map((l) => l.split(',').slice(2).join(','))).toEqual([
      'validation,True,False',
      'validation,False,True',
      'validation,False,True',
    ]);
    expect(rows.filter((l) => l.includes('Sandal/')).map((l) => l.split(',').slice(2).join(','))).toEqual(
      Array(3).fill('validation,True,True'),
    );
    expect(r.report.ok).toBe(true);

    writeFileSync(table, 'file,class,class\nCoat/img 0 é.png,Coat,Dress\n');
    await expect(
      convert({
        source: table,
        root: path.join(dir, 'photos'),
        out: path.join(dir, 'words-out', 'df2.csv'),
        mapping: { path: 'file', label: 'class' },
        split: DEFAULT_SPLIT,
      }),
    ).rejects.toThrow(`${table}: row 1: column "class" appears twice in the header`);
  });

  it('the CLI prints the summary and problems, and fails only when nothing usable can be written', () => {
    const ok = cli([
      'convert',
      path.join(dir, 'nested'),
      '--out',
      path.join(dir, 'cli', 'df.csv'),
      '--val-fraction',
      '0.5',
      '--data-dir',
      path.join(dir, 'data'),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('wrote ');
    expect(ok.stdout).toMatch(/validation: \d+ rows/);
    expect(ok.stderr).toContain('not a readable image');
    const empty = path.join(dir, 'empty-folder');
    mkdirSync(empty, { recursive: true });
    const bad = cli(['convert', empty, '--out', path.join(dir, 'x.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('No images found');
    writeFileSync(path.join(dir, 'odd.csv'), 'picture,kind\na.png,1\n');
    const unmapped = cli(['convert', path.join(dir, 'odd.csv'), '--out', path.join(dir, 'y.csv')]);
    expect(unmapped.code).toBe(1);
    expect(unmapped.stderr).toContain('found columns: picture, kind');
    // Everything unreadable (paths relative to the wrong folder): nothing usable, exit 1.
    writeTable();
    const wrongRoot = cli(['convert', path.join(dir, 'table.tsv'), '--out', path.join(dir, 'z.csv'), '--map', 'path=file,label=class']);
    expect(wrongRoot.code).toBe(1);
    expect(wrongRoot.stderr).toContain('Nothing usable');
  }, 60_000);

  it('an existing OML CSV keeps its split and passes through validated', () => {
    const out = path.join(dir, 'oml', 'df.csv');
    const r = cli([
      'convert',
      SAMPLE_CSV,
      '--root',
      path.dirname(SAMPLE_CSV),
      '--out',
      out,
      '--json',
      '--data-dir',
      path.join(dir, 'data'),
    ]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.report.ok).toBe(true);
    expect(res.report.summary.train).toMatchObject({ rows: 300, labels: 5 });
    expect(res.report.summary.validation).toMatchObject({ rows: 300, labels: 5, queries: 300, galleries: 300 });
    expect(res.report.summary.categories).toEqual(['bags', 'clothing', 'footwear']);
  }, 60_000);
});

describe('convert never writes over what it must not', () => {
  it('refuses a source, an image, a folder and a CSV it did not write, before reading anything; replaces its own', async () => {
    const src = path.join(dir, 'guarded');
    await makeImageFolder(src, { perLabel: 3 });
    const image = path.join(src, readdirSync(src)[0]!, readdirSync(path.join(src, readdirSync(src)[0]!))[0]!);
    const imageBytes = readFileSync(image);
    const table = path.join(dir, 'guarded-table.csv');
    writeFileSync(table, 'file,class\nx.png,1\n');
    const mine = path.join(dir, 'my-notes.csv');
    writeFileSync(mine, 'precious,data\n');
    const run = (source: string, out: string, ...more: string[]) => cli(['convert', source, '--out', out, ...more]);

    const onImage = run(src, image);
    expect(onImage.code).toBe(1);
    expect(onImage.stderr).toContain('must be a .csv file path');
    expect(readFileSync(image).equals(imageBytes)).toBe(true);
    const onSource = run(table, table, '--map', 'path=file,label=class');
    expect(onSource.stderr).toContain('is the source itself');
    expect(readFileSync(table, 'utf8')).toBe('file,class\nx.png,1\n');
    const folder = path.join(dir, 'a-folder.csv');
    mkdirSync(folder, { recursive: true });
    expect(run(src, folder).stderr).toContain('is a folder; give the CSV');
    const theirs = run(src, mine);
    expect(theirs.code).toBe(1);
    expect(theirs.stderr).toContain('exists and was not written by Metric Studio');
    expect(readFileSync(mine, 'utf8')).toBe('precious,data\n');
    for (const r of [onImage, onSource, theirs]) expect(r.stderr).not.toMatch(/\n\s+at /);

    // --force is the user's say-so for their own file; the app's own output is replaced without it.
    expect(run(src, mine, '--force').code).toBe(0);
    const own = path.join(dir, 'guarded-out', 'df.csv');
    expect(run(src, own).code).toBe(0);
    expect(run(src, own).code).toBe(0);
  }, 90_000); // eight CLI processes: on a loaded two-core machine each takes seconds to start
});
