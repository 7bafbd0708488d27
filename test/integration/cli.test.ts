import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../main/cli/index';
import { BackendReport } from '../../shared/schemas/engine';
import { RunStore } from '../../main/store/runs';
import { electronUnavailable } from '../../main/cli/commands/app';
import { BIN, cli } from '../helpers/cli';
import { SAMPLE_CSV, tempDir, writeCsv, writePng } from '../helpers/tmp';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

describe('metric-studio CLI', () => {
  it('--help lists every command', () => {
    const { code, stdout } = cli(['--help']);
    expect(code).toBe(0);
    for (const c of ['convert', 'check', 'train', 'evaluate', 'predict', 'runs', 'zoo', 'serve', 'backends'])
      expect(stdout).toMatch(new RegExp(`^  ${c}\\s`, 'm'));
    expect(COMMANDS.map((c) => c.name)).toContain('serve');
  });

  it('backends lists every backend, the GPU Dawn found, and which one auto takes', () => {
    const json = cli(['backends', '--json']);
    expect(json.code).toBe(0);
    const report = BackendReport.parse(JSON.parse(json.stdout));
    expect(report.probes.map((p) => p.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
    // Here Dawn finds only lavapipe: listed, with its adapter, and passed over.
    expect(report.probes.find((p) => p.name === 'webgpu')?.adapter?.fallback).toBe(true);
    expect(report.selected).toBe('wasm');
    const text = cli(['backends']);
    expect(text.stdout).toMatch(/^→ wasm\s+loads/m);
    expect(text.stdout).toMatch(/GPU: mesa software .*largest binding \d+ MB/);
  });

  it('rejects an unknown command on stderr with a non-zero code', () => {
    const { code, stderr } = cli(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown command "frobnicate"');
  });

  it('check prints the summary of the shipped sample and exits 0', () => {
    const { code, stdout, stderr } = cli(['check', SAMPLE_CSV]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('rows: 600');
    expect(stdout).toContain('labels: 10');
    expect(stdout).toMatch(/train:\s+300 rows, 5 labels/);
    expect(stdout).toMatch(/validation: 300 rows, 5 labels, 300 queries, 300 galleries/);
  });

  it('check --json prints the machine-readable report', () => {
    const { code, stdout } = cli(['check', SAMPLE_CSV, '--json', '--no-files']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ ok: true, errors: 0, summary: { rows: 600 } });
  });

  it('check names the row and field of a missing column and a missing image, and exits non-zero', async () => {
    await writePng(path.join(dir, 'a.png'));
    const noColumn = writeCsv(path.join(dir, 'no-column.csv'), [
      ['label', 'path', 'split', 'is_query'],
      [0, 'a.png', 'train', ''],
    ]);
    const r1 = cli(['check', noColumn]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain(`${noColumn}, row 1, column is_gallery: required column "is_gallery" is missing`);

    const noImage = writeCsv(path.join(dir, 'no-image.csv'), [
      ['label', 'path', 'split', 'is_query', 'is_gallery'],
      [0, 'a.png', 'train', '', ''],
      [0, 'gone.png', 'train', '', ''],
    ]);
    const r2 = cli(['check', noImage]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/row 3, column path: file not found: "gone\.png"/);
    expect(r2.stdout).toContain('1 error(s)');
  });

  it('check on a file that does not exist says so', () => {
    const { code, stderr } = cli(['check', path.join(dir, 'nothing.csv')]);
    expect(code).toBe(1);
    expect(stderr).toContain('Dataset file not found');
  });

  it('runs list works on an empty data folder', () => {
    const { code, stdout } = cli(['runs', 'list', '--data-dir', path.join(dir, 'data')]);
    expect(code).toBe(0);
    expect(stdout).toContain('No runs yet.');
  });

  it('train names a missing config file and a bad key', () => {
    const missing = cli(['train', path.join(dir, 'x.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Config file not found');
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'dataset: df.csv\nmax_epochs: 0\nsampler: { name: balance, args: { n_labels: 1, n_instances: 2 } }\n');
    const r = cli(['train', bad, '--data-dir', path.join(dir, 'data')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: max_epochs:`);
    expect(r.stderr).toContain(`${bad}: sampler.args.n_labels:`);
  });
});

describe('npm start fallback', () => {
  it('explains why Electron cannot start', () => {
    const missing = () => {
      throw new Error('Electron failed to install correctly, please delete node_modules/electron and try installing it again');
    };
    expect(electronUnavailable({}, 'linux', missing)).toMatch(/binary is not installed/);
    expect(electronUnavailable({}, 'linux', () => process.execPath)).toMatch(/no display/);
    expect(electronUnavailable({ DISPLAY: ':0' }, 'linux', () => process.execPath)).toBeNull();
    expect(electronUnavailable({}, 'darwin', () => '/nonexistent/Electron')).toMatch(/missing/);
  });
});

describe('bad input ends a command with a message, not a stack trace', () => {
  it.each([
    [
      'evaluate --pcf 0',
      () => ['evaluate', '--dataset', SAMPLE_CSV, '--baseline', 'raw-pixels', '--pcf', '0'],
      /--pcf takes shares above 0, up to 1, got 0/,
    ],
    [
      'train --set __proto__.x=1',
      () => ['train', path.join(ROOT, 'recipes/fashion-mnist-mini.yaml'), '--set', '__proto__.x=1', '--data-dir', path.join(dir, 'pp')],
      /"__proto__" is not a config key/,
    ],
    [
      'train --set a.constructor.b=1',
      () => [
        'train',
        path.join(ROOT, 'recipes/fashion-mnist-mini.yaml'),
        '--set',
        'sampler.constructor.b=1',
        '--data-dir',
        path.join(dir, 'pp'),
      ],
      /"constructor" is not a config key/,
    ],
    ['train --resume 999999', () => ['train', '--resume', '999999', '--data-dir', path.join(dir, 'pp')], /No run with id 999999/],
    [
      '--data-dir that is a file',
      () => ['runs', 'list', '--data-dir', writeCsv(path.join(dir, 'a-file'), [['x']])],
      /data folder .*a-file is a file, not a folder/,
    ],
    [
      'convert a table with an unclosed quote',
      () => {
        const file = path.join(dir, 'unclosed.csv');
        writeFileSync(file, 'path,label\n"a.png,1\nb.png,2\n');
        return ['convert', file, '--out', path.join(dir, 'unclosed-out', 'df.csv'), '--map', 'path=path,label=label'];
      },
      /unclosed\.csv: not a readable table: Quote Not Closed.* line 3/,
    ],
  ] as const)('%s', (_name, args, message) => {
    const r = cli([...args()]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('train from the command line', () => {
  const recipe = path.join(ROOT, 'recipes/fashion-mnist-mini.yaml');
  // --set overrides nested keys with YAML values; these make the recipe short and deterministic here.
  const sets = [
    'max_epochs=3',
    'steps_per_epoch=2',
    'valid_period=1',
    'backend=wasm',
    'optimizer.args.lr=0.002',
    'metric_args.map_top_k=[5]',
  ];
  const trainArgs = (dataDir: string) => ['train', recipe, ...sets.flatMap((s) => ['--set', s]), '--data-dir', dataDir];
  const show = (dataDir: string) => JSON.parse(cli(['runs', 'show', '1', '--json', '--data-dir', dataDir]).stdout);
  /** `train` in its own process, sent `signal` once run 1's `last` checkpoint of epoch 0 is in its folder. */
  async function signalAfterFirstCheckpoint(dataDir: string, signal: NodeJS.Signals) {
    const child = spawn(process.execPath, [BIN, ...trainArgs(dataDir)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const ended = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const meta = path.join(dataDir, 'runs', '1', 'checkpoints', 'last', 'meta.json');
    while (!existsSync(meta)) await new Promise((r) => setTimeout(r, 20));
    child.kill(signal);
    return { code: await ended, stderr };
  }

  it('--set changes the run’s config; Ctrl-C stops after the current step; --resume ends where an unbroken run ends', async () => {
    const whole = cli(trainArgs(path.join(dir, 'whole')));
    expect(whole.stderr).not.toMatch(/\n\s+at /);
    expect(whole.code).toBe(0);
    expect(whole.stdout).toMatch(/final metrics: .*cmc\/1 \d\.\d{4}.*map\/5 \d\.\d{4}/);
    const reference = show(path.join(dir, 'whole'));
    expect(reference.status).toBe('finished');
    expect(reference.configYaml).toMatch(/^max_epochs: 3$/m);
    expect(reference.configYaml).toMatch(/^steps_per_epoch: 2$/m);
    expect(reference.configYaml).toMatch(/lr: 0\.002/);
    expect(Object.keys(reference.lastMetrics)).toContain('OVERALL/map/5');

    // The same command interrupted once its first epoch is checkpointed (SIGINT, as Ctrl-C sends).
    const brokenDir = path.join(dir, 'broken');
    const interrupted = await signalAfterFirstCheckpoint(brokenDir, 'SIGINT');
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain('Stopping after the current step');
    const stopped = show(brokenDir);
    expect(stopped.status).toBe('stopped');

    const resumed = cli(['train', '--resume', '1', '--data-dir', brokenDir]);
    expect(resumed.code).toBe(0);
    const final = show(brokenDir);
    expect(final.status).toBe('finished');
    for (const key of ['OVERALL/cmc/1', 'OVERALL/map/5', 'loss']) expect(final.lastMetrics[key], key).toBe(reference.lastMetrics[key]);
    // The stored series equal the unbroken run's, step for step (a run restarted from scratch would have logged
    // every step twice; a stop inside an epoch is training.test.ts's).
    const series = async (dataDir: string) => {
      const store = await RunStore.open(dataDir);
      const s = await store.metricSeries(1, ['loss', 'OVERALL/cmc/1']);
      await store.close();
      return s;
    };
    const [whole1, resumed1] = [await series(path.join(dir, 'whole')), await series(brokenDir)];
    const steps = whole1.loss!.map(([step]) => step);
    expect(steps.length).toBeGreaterThan(1);
    expect(steps).toEqual([...new Set(steps)].sort((a, b) => a - b));
    expect(resumed1).toEqual(whole1);
  }, 120_000);

  it('SIGTERM ends the worker at once and still writes every metric it sent; the run is left interrupted (resumable)', async () => {
    const dataDir = path.join(dir, 'term');
    const { code, stderr } = await signalAfterFirstCheckpoint(dataDir, 'SIGTERM');
    expect(code).toBe(143);
    expect(stderr).not.toMatch(/\n\s+at /);
    const run = show(dataDir);
    expect(run.status).toBe('interrupted');
    // Epoch 0's loss and validation metrics were sent before its checkpoint was written; before, metrics still
    // waiting for their 1 s batch died with the process.
    const store = await RunStore.open(dataDir);
    const series = await store.metricSeries(1, ['loss', 'OVERALL/cmc/1']);
    await store.close();
    expect(series.loss?.map(([step]) => step)).toContain(1);
    expect(series['OVERALL/cmc/1']?.map(([step]) => step)).toContain(1);
  }, 60_000);
});
