// Generated bad inputs: each case is a mutation of a valid input and says what a correct command must do with it.
import { type Rng, randInt } from '../../main/random';
import type { Expectation } from './run-cli';

export interface TextCase {
  name: string;
  text: string | Buffer;
  want: Expectation;
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[randInt(rng, items.length)]!;

export const HEADER = ['label', 'path', 'split', 'is_query', 'is_gallery'];
/** Eight rows over images a0..a3 (label 0, train) and b0..b3 (label 1, validation): a valid OML dataset. */
export function validRows(): string[][] {
  return [
    ...[0, 1, 2, 3].map((i) => ['0', `a${i}.png`, 'train', '', '']),
    ...[0, 1, 2, 3].map((i) => ['1', `b${i}.png`, 'validation', 'True', 'True']),
  ];
}
const csvText = (header: string[], rows: string[][]) => `${[header, ...rows].map((r) => r.join(',')).join('\n')}\n`;

type CellMutation = { column: string; on: 'train' | 'validation' | 'any'; values: string[]; outcome: Expectation['outcome'] };
const CELL_MUTATIONS: CellMutation[] = [
  {
    column: 'label',
    on: 'any',
    values: ['1.5', 'abc', '', '1e3', '9007199254740993', '٣', '0x10', `${'9'.repeat(400)}`],
    outcome: 'reject',
  },
  { column: 'path', on: 'any', values: ['', 'missing.png', 'a0.png\0x', 'sub/../../nowhere.png'], outcome: 'reject' },
  { column: 'path', on: 'any', values: ['../a0.png', '/etc/hostname', './a0.png', 'A0.PNG'], outcome: 'either' },
  { column: 'split', on: 'any', values: ['test', '', 'TRAIN', 'valid', ' train2'], outcome: 'reject' },
  { column: 'is_query', on: 'validation', values: ['yes', '', 'maybe', '2'], outcome: 'reject' },
  { column: 'is_gallery', on: 'train', values: ['True', '0', 'x'], outcome: 'reject' },
];

/** Bad cells, one per case, at a random row: the command must name that row and column. */
export function csvCellCases(rng: Rng, n: number): TextCase[] {
  const cases: TextCase[] = [];
  for (let c = 0; c < n; c++) {
    const m = pick(rng, CELL_MUTATIONS);
    const rows = validRows();
    const candidates = rows.map((r, i) => [r, i] as const).filter(([r]) => m.on === 'any' || r[2] === m.on);
    const [, i] = pick(rng, candidates);
    const value = pick(rng, m.values);
    rows[i]![HEADER.indexOf(m.column)] = value.includes(',') ? `"${value}"` : value;
    cases.push({
      name: `${m.column}=${JSON.stringify(value.slice(0, 20))} at row ${i + 2}`,
      text: csvText(HEADER, rows),
      want: { outcome: m.outcome, row: i + 2, field: m.column },
    });
  }
  return cases;
}

/** Boxes: past int32, negative, not numbers, inverted; each must be named by row. */
export function bboxCases(rng: Rng, n: number): TextCase[] {
  const values: [string[], string][] = [
    [['0', String(2 ** 32 + 5), '0', '4'], 'x_2'],
    [['-1', '4', '0', '4'], 'x_1'],
    [['0', '4', 'a', '4'], 'y_1'],
    [['3', '1', '0', '4'], 'x_1'],
    [['0', '4', '0', ''], 'y_2'],
    [['0', '4', '4', '4'], 'y_1'],
  ];
  return Array.from({ length: n }, () => {
    const [box, field] = pick(rng, values);
    const rows = validRows().map((r) => [...r, '0', '4', '0', '4']);
    const i = randInt(rng, rows.length);
    rows[i]!.splice(5, 4, ...box);
    return {
      name: `box ${box.join(',')} at row ${i + 2}`,
      text: csvText([...HEADER, 'x_1', 'x_2', 'y_1', 'y_2'], rows),
      want: { outcome: 'reject' as const, row: i + 2, field },
    };
  });
}

/** Whole-file damage: the command must refuse it (naming the file) or read it correctly. */
export function csvStructureCases(): TextCase[] {
  const good = csvText(HEADER, validRows());
  const rows = validRows();
  return [
    { name: 'unclosed quote', text: good.replace('a1.png', '"a1.png'), want: { outcome: 'reject' } },
    { name: 'extra cell', text: good.replace('a2.png,train,,', 'a2.png,train,,,x'), want: { outcome: 'reject', row: 4 } },
    {
      name: 'missing cell',
      text: good.replace('1,b1.png,validation,True,True', '1,b1.png,validation,True'),
      want: { outcome: 'reject', row: 7 },
    },
    {
      name: 'duplicate header',
      text: csvText(
        [...HEADER, 'label'],
        rows.map((r) => [...r, '5']),
      ),
      want: { outcome: 'reject', row: 1, field: 'label' },
    },
    {
      name: 'missing column',
      text: csvText(
        HEADER.slice(0, 4),
        rows.map((r) => r.slice(0, 4)),
      ),
      want: { outcome: 'reject', field: 'is_gallery' },
    },
    { name: 'empty file', text: '', want: { outcome: 'reject' } },
    { name: 'header only', text: `${HEADER.join(',')}\n`, want: { outcome: 'reject' } },
    { name: 'binary garbage', text: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), want: { outcome: 'reject' } },
    {
      name: '5 MB label cell',
      text: csvText(HEADER, [['9'.repeat(5_000_000), 'a0.png', 'train', '', ''], ...rows]),
      want: { outcome: 'reject', row: 2, field: 'label' },
    },
    { name: 'BOM and CRLF', text: `\uFEFF${good.replace(/\n/g, '\r\n')}`, want: { outcome: 'accept' } },
    { name: 'quoted cells', text: good.replace(/a(\d)\.png/g, '"a$1.png"'), want: { outcome: 'accept' } },
    { name: 'NUL bytes', text: good.replace('b2.png', 'b2\0.png'), want: { outcome: 'reject', row: 8, field: 'path' } },
  ];
}

/** predictions.json for the dataset above: valid vectors, then one damaged entry at a random row. */
export function predictionCases(rng: Rng, n: number): TextCase[] {
  const valid = () => Object.fromEntries(['b0.png', 'b1.png', 'b2.png', 'b3.png'].map((p, i) => [p, [i, 1, 0.5, -i]]));
  const damage: [string, (v: Record<string, unknown>, key: string) => void, boolean][] = [
    ['missing vector', (v, k) => delete v[k], true],
    ['short vector', (v, k) => (v[k] = [1, 2]), true],
    ['string value', (v, k) => (v[k] = [1, 'x', 0, 0]), true],
    ['past float32', (v, k) => (v[k] = [1e39, 0, 0, 0]), true],
    ['null vector', (v, k) => (v[k] = null), true],
    ['nested deep', (v, k) => (v[k] = [0, 0, 0, JSON.parse(`${'['.repeat(50_000)}${']'.repeat(50_000)}`)]), true],
    ['empty vector', (v, k) => (v[k] = []), true],
    ['object vector', (v, k) => (v[k] = { 0: 1 }), true],
  ];
  const cases: TextCase[] = Array.from({ length: n }, () => {
    const [name, hurt] = pick(rng, damage);
    const v: Record<string, unknown> = valid();
    const k = `b${randInt(rng, 4)}.png`;
    hurt(v, k);
    // JSON.stringify cannot write 50,000 levels: the deep value is spliced in as text.
    const text =
      name === 'nested deep'
        ? JSON.stringify({ ...v, [k]: 'DEEP' }).replace('"DEEP"', `[0,0,0,${'['.repeat(50_000)}${']'.repeat(50_000)}]`)
        : JSON.stringify(v);
    return { name: `${name} at ${k}`, text, want: { outcome: 'reject' as const, row: 6 + Number(k[1]), field: k } };
  });
  return [
    ...cases,
    { name: 'not JSON', text: '{"b0.png": [1,', want: { outcome: 'reject' } },
    { name: 'top-level array', text: '[[1,2,3,4]]', want: { outcome: 'reject' } },
    { name: 'top-level null', text: 'null', want: { outcome: 'reject' } },
    { name: 'empty file', text: '', want: { outcome: 'reject' } },
    { name: 'deep top level', text: `${'['.repeat(200_000)}${']'.repeat(200_000)}`, want: { outcome: 'reject' } },
    { name: '__proto__ key', text: JSON.stringify(valid()).replace('{', '{"__proto__": [1,2,3,4],'), want: { outcome: 'accept' } },
  ];
}

/** Config mutations of a valid recipe: each must be refused before any run exists, naming its key. */
export function configCases(validYaml: (overrides: string) => string): TextCase[] {
  const c = (name: string, overrides: string, field?: string): TextCase => ({
    name,
    text: validYaml(overrides),
    want: { outcome: 'reject', field },
  });
  return [
    c('unknown key', 'colour: blue\n', 'colour'),
    c('string epochs', 'max_epochs: many\n', 'max_epochs'),
    c('negative epochs', 'max_epochs: -3\n', 'max_epochs'),
    c('image_size 20000', 'image_size: 20000\n'),
    c('emb_dim 1e9', 'extractor:\n  name: small_cnn\n  args:\n    emb_dim: 1000000000\n', 'extractor.args.emb_dim'),
    c('n_instances 100000', 'sampler:\n  name: balance\n  args:\n    n_labels: 2\n    n_instances: 100000\n', 'sampler.args'),
    c('n_labels beyond the labels', 'sampler:\n  name: balance\n  args:\n    n_labels: 50\n    n_instances: 2\n', 'sampler.args'),
    c('missing dataset', 'dataset: nowhere.csv\n', 'dataset'),
    c('__proto__ key', '__proto__:\n  polluted: 1\n', '__proto__'),
    c('unknown metric', 'metric_for_checkpointing: OVERALL/cmc/99\n', 'metric_for_checkpointing'),
    c('lr as a list', 'optimizer:\n  name: adam\n  args:\n    lr: [1, 2]\n', 'optimizer.args.lr'),
    { name: 'YAML syntax', text: 'max_epochs: [1,\n', want: { outcome: 'reject' } },
    {
      name: 'alias bomb',
      text: `a: &a [x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`).join('\n')}\n`,
      want: { outcome: 'reject' },
    },
    { name: 'not a mapping', text: '- 1\n- 2\n', want: { outcome: 'reject' } },
    { name: 'empty file', text: '', want: { outcome: 'reject' } },
  ];
}

/** Image files that are not what their name says, for `check --images`: each row named, nothing crashes. */
export function brokenImages(): { name: string; bytes: Buffer }[] {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const hugeHeader = Buffer.concat([png, Buffer.from([0, 0, 0xea, 0x60, 0, 0, 0xea, 0x60, 8, 2, 0, 0, 0, 0, 0, 0, 0])]);
  return [
    { name: 'zero.png', bytes: Buffer.alloc(0) },
    { name: 'text.png', bytes: Buffer.from('not an image at all') },
    { name: 'random.jpg', bytes: Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 131) % 256)) },
    { name: 'truncated.png', bytes: png },
    { name: 'bomb.png', bytes: hugeHeader },
    { name: 'jpeg-head.jpg', bytes: Buffer.from('ffd8ffe000104a464946', 'hex') },
  ];
}
