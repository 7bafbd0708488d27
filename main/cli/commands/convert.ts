import path from 'node:path';
import { ConvertError, convert } from '../../dataset/convert/convert';
import { DEFAULT_SPLIT, type SplitOptions } from '../../dataset/convert/plan';
import { type ColumnMapping, readHeader } from '../../dataset/convert/sources';
import { REQUIRED_COLUMNS } from '../../../shared/schemas/dataset';
import { formatProblem } from '../../dataset/problems';
import { defaultDataDir } from '../../paths';
import { RunStore } from '../../store/runs';
import { type Command, UsageError, err, out, parse } from '../args';
import { formatSummary } from './check';

const usage = `metric-studio convert SRC --out DIR/df.csv [options]
  SRC                     a folder (root/<label>/*.jpg or root/<category>/<label>/*), a CSV/TSV, or an OML CSV
  --val-fraction F        share of labels held out for validation (default 0.5; label-disjoint)
  --val-labels N          or exactly N validation labels
  --seed N                seed of the split (default 0)
  --query-fraction Q      share of each validation label used as queries (default: 1-vs-rest, all both)
  --keep-split            keep the table's own split / is_query / is_gallery columns
  --map k=col,...         table columns: path, label, category, sequence, split, is_query, is_gallery
  --bbox x1,y1,x2,y2 | --bbox-xywh x,y,w,h   box columns of a table
  --root DIR              folder a table's paths are relative to (default: the table's folder)
  --keep-single           keep train labels with one image (dropped by default)
  --lone-queries          keep validation labels with one image as queries (by default they are gallery-only)
  --keep-duplicates       keep byte-identical copies within a label (dropped by default)
  --keep-conflicts        keep a picture found under two labels (byte- or near-identical) under each of them
                          (by default every copy is dropped; either way each is listed)
  --min-size PX           report images smaller than PX (default 16); --drop-tiny drops them
  --no-image-check        do not open the images (huge tables of known-good files): nothing about them is checked
  --force                 overwrite --out even if it is a CSV Metric Studio did not write (never a source)
  --json                  print the result as JSON
  --data-dir DIR          run store to register the dataset in`;

function mappingFrom(values: Record<string, string | boolean | undefined>): Partial<ColumnMapping> {
  const m: Partial<ColumnMapping> = {};
  const keys: Record<string, keyof ColumnMapping> = {
    path: 'path',
    label: 'label',
    category: 'category',
    sequence: 'sequence',
    split: 'split',
    is_query: 'isQuery',
    is_gallery: 'isGallery',
  };
  for (const pair of String(values.map ?? '')
    .split(',')
    .filter(Boolean)) {
    const [k, v] = pair.split('=');
    if (!k || !v || !(k in keys))
      throw new UsageError(`--map expects key=column with key one of ${Object.keys(keys).join(', ')}; got "${pair}"`);
    (m as Record<string, string>)[keys[k]!] = v;
  }
  const box = (spec: unknown, format: 'x1y1x2y2' | 'xywh') => {
    const cols = String(spec).split(',');
    if (cols.length !== 4) throw new UsageError(`--bbox${format === 'xywh' ? '-xywh' : ''} takes four column names`);
    m.bbox = { format, columns: cols as [string, string, string, string] };
  };
  if (values.bbox) box(values.bbox, 'x1y1x2y2');
  if (values['bbox-xywh']) box(values['bbox-xywh'], 'xywh');
  return m;
}

async function isOmlCsv(source: string): Promise<boolean> {
  if (!/\.(csv|tsv)$/i.test(source)) return false;
  const { columns } = await readHeader(path.resolve(source)).catch(() => ({ columns: [] as string[] }));
  return REQUIRED_COLUMNS.every((c) => columns.includes(c));
}

function number(name: string, v: unknown, check: (n: number) => boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name}: invalid value "${String(v)}"`);
  return n;
}

export const convertCommand: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        out: { type: 'string' },
        force: { type: 'boolean' },
        'val-fraction': { type: 'string' },
        'val-labels': { type: 'string' },
        seed: { type: 'string' },
        'query-fraction': { type: 'string' },
        'keep-split': { type: 'boolean' },
        map: { type: 'string' },
        bbox: { type: 'string' },
        'bbox-xywh': { type: 'string' },
        root: { type: 'string' },
        'keep-single': { type: 'boolean' },
        'lone-queries': { type: 'boolean' },
        'keep-duplicates': { type: 'boolean' },
        'keep-conflicts': { type: 'boolean' },
        'min-size': { type: 'string' },
        'drop-tiny': { type: 'boolean' },
        'no-image-check': { type: 'boolean' },
        json: { type: 'boolean' },
        'data-dir': { type: 'string' },
      },
      usage,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    if (positionals.length !== 1 || !values.out) throw new UsageError(`convert takes a source and --out\nusage: ${usage}`);
    const split: SplitOptions = {
      ...DEFAULT_SPLIT,
      valFraction: number('val-fraction', values['val-fraction'], (n) => n >= 0 && n <= 1) ?? DEFAULT_SPLIT.valFraction,
      valLabels: number('val-labels', values['val-labels'], (n) => Number.isInteger(n) && n >= 0),
      seed: number('seed', values.seed, Number.isInteger) ?? 0,
      queryFraction: number('query-fraction', values['query-fraction'], (n) => n > 0 && n < 1) ?? null,
      // An OML CSV keeps its own split unless a new one is asked for.
      keepSplit:
        Boolean(values['keep-split']) ||
        ((await isOmlCsv(positionals[0]!)) && values['val-fraction'] === undefined && values['val-labels'] === undefined),
      keepSingle: Boolean(values['keep-single']),
      loneAsGallery: !values['lone-queries'],
      dropDuplicates: !values['keep-duplicates'],
      dropConflicts: !values['keep-conflicts'],
      minSize: number('min-size', values['min-size'], (n) => n >= 0) ?? DEFAULT_SPLIT.minSize,
      dropTiny: Boolean(values['drop-tiny']),
    };
    const tty = Boolean(process.stderr.isTTY);
    try {
      const result = await convert(
        {
          source: positionals[0]!,
          out: values.out,
          root: values.root,
          mapping: mappingFrom(values),
          split,
          checkImages: !values['no-image-check'],
          overwrite: Boolean(values.force),
        },
        (p) => {
          if (tty) process.stderr.write(`\r${p.phase} ${p.done}${p.total ? `/${p.total}` : ''}   `);
        },
      );
      if (tty) process.stderr.write('\r\x1b[2K');
      const store = await RunStore.open(values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir());
      await store.registerDataset(path.basename(path.dirname(result.csv)), result.csv, path.dirname(result.csv), result.report.summary);
      await store.close();
      if (values.json) {
        out(
          JSON.stringify({ csv: result.csv, summary: result.summary, report: result.report, problems: result.analysis.problems }, null, 2),
        );
      } else {
        out(
          `wrote ${result.csv} (${result.analysis.kind} source, ${result.analysis.plan.dropped} item(s) dropped) and ${path.basename(result.summary)}`,
        );
        for (const line of formatSummary(result.report)) out(line);
        for (const p of result.analysis.problems) err(`${p.severity}: ${p.path ?? ''}: ${p.message}`);
        for (const p of result.report.problems) err(formatProblem(result.report.file, p));
      }
      return result.report.ok ? 0 : 1;
    } catch (e) {
      if (e instanceof ConvertError) throw new UsageError(e.message, 1);
      throw e;
    }
  },
};
