// Every model beside what needs no training: a run validates raw pixels (and its zoo model frozen) on its own
// validation rows and says when its best checkpoint loses to them; a dataset's leaderboard lists every model on
// its validation rows with the numbers `evaluate` gives for each. Real CLI processes, a mock npm registry.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZooService } from '../../main/services/zoo';
import { CATALOG_ENV } from '../../main/zoo/catalog';
import { cli } from '../helpers/cli';
import { SAMPLE_ROOT, seenLabelsCsv, smallConfig } from '../helpers/training';
import { tempDir } from '../helpers/tmp';
import { startMockRegistry, tinyResidualZooPackage } from '../helpers/zoo-fixture';

let dir: string;
let cleanup: () => void;
let registry: Awaited<ReturnType<typeof startMockRegistry>>;
let env: Record<string, string>;
let dataDir: string;
let seen: string;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-baselines-'));
  const tiny = await tinyResidualZooPackage();
  registry = await startMockRegistry(new Map([['tiny-resnet', tiny.tgz]]));
  const catalogFile = path.join(dir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify({ version: 1, entries: [tiny.entry] }));
  env = { [CATALOG_ENV]: catalogFile, npm_config_registry: registry.url, METRIC_STUDIO_DATA_DIR: path.join(dir, 'data') };
  dataDir = env.METRIC_STUDIO_DATA_DIR!;
  seen = seenLabelsCsv(dir);
  // In this process: a CLI started with spawnSync would block the loop the mock registry answers on.
  Object.assign(process.env, { [CATALOG_ENV]: catalogFile, npm_config_registry: registry.url });
  await new ZooService(dataDir).download('tiny_resnet').done;
}, 60_000);
afterAll(async () => {
  delete process.env[CATALOG_ENV];
  await registry.close();
  cleanup();
});

const json = (args: string[]) => {
  const r = cli(args, env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};
const evaluate = (source: string[], metrics: string[]) =>
  json(['evaluate', '--dataset', seen, '--root', SAMPLE_ROOT, ...source, ...metrics, '--json']).OVERALL;

function trainRun(name: string, over: Record<string, unknown>): number {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({ ...smallConfig(seen, { max_epochs: 2, valid_period: 1 }), postfix: name, ...over }));
  const r = cli(['train', file], env);
  expect(r.code, r.stderr).toBe(0);
  return Number(/^run (\d+) /m.exec(r.stdout)![1]);
}

describe('a run beside its baselines', () => {
  let losing: number;
  beforeAll(() => {
    // A learning rate that moves nothing: the best checkpoint is the untrained small CNN, below raw pixels here.
    losing = trainRun('untrainable', { optimizer: { name: 'adam', args: { lr: 1e-12 } } });
  }, 120_000);

  it('validates raw pixels once on its validation rows, as evaluate --baseline raw-pixels does', () => {
    const show = json(['runs', 'show', String(losing), '--json']);
    expect(show.baselines.map((b: { name: string }) => b.name)).toEqual(['raw_pixels']);
    const raw = evaluate(['--baseline', 'raw-pixels'], ['--cmc', '1', '--precision', '', '--map', '5', '--pcf', '']);
    expect(show.baselines[0].metrics['OVERALL/cmc/1']).toBeCloseTo(raw.cmc['1'], 6);
    expect(show.baselines[0].metrics['OVERALL/map/5']).toBeCloseTo(raw.map['5'], 6);
  });

  it('says plainly when the best checkpoint loses to raw pixels, and by how much', () => {
    const show = json(['runs', 'show', String(losing), '--json']);
    const raw = show.baselines[0].metrics['OVERALL/cmc/1'];
    expect(show.best.value).toBeLessThan(raw);
    expect(show.verdict.beaten).toBe(false);
    expect(show.verdict.margin).toBeCloseTo(show.best.value - raw, 9);
    const text = cli(['runs', 'show', String(losing)], env).stdout;
    expect(text).toContain(
      `warning: The best checkpoint does not beat raw pixels (28×28 grey, L2-normalised) on cmc/1: ${show.best.value.toFixed(4)} against ${raw.toFixed(4)} (${(show.best.value - raw).toFixed(4)})`,
    );
    const log = readFileSync(path.join(path.dirname(path.dirname(show.checkpoints[0].path)), 'train.log'), 'utf8');
    expect(log).toMatch(/WARN The best checkpoint does not beat raw pixels/);
    expect(log).toMatch(/INFO baseline raw pixels \(28×28 grey, L2-normalised\): OVERALL\/cmc\/1 = 0\.\d{4}/);
  });

  it('a run from a zoo model also measures that model frozen, as evaluate --zoo does', () => {
    const id = trainRun('zoo-head', {
      image_size: 32,
      channels: 3,
      sampler: { name: 'balance', args: { n_labels: 2, n_instances: 5 } },
      extractor: { name: 'zoo', args: { model: 'tiny_resnet', emb_dim: 16, head: 'linear' } },
    });
    const show = json(['runs', 'show', String(id), '--json']);
    expect(show.baselines.map((b: { name: string }) => b.name)).toEqual(['raw_pixels', 'zoo:tiny_resnet']);
    const zoo = evaluate(['--zoo', 'tiny_resnet'], ['--cmc', '1', '--precision', '', '--map', '5', '--pcf', '']);
    expect(show.baselines[1].label).toBe('tiny_resnet frozen');
    expect(show.baselines[1].metrics['OVERALL/cmc/1']).toBeCloseTo(zoo.cmc['1'], 5);
    expect(show.baselines[1].metrics['OVERALL/map/5']).toBeCloseTo(zoo.map['5'], 5);
    // The verdict is against the stronger of the two.
    const strongest = Math.max(...show.baselines.map((b: { metrics: Record<string, number> }) => b.metrics['OVERALL/cmc/1']));
    expect(show.verdict.baselineValue).toBe(strongest);
  }, 120_000);
});

describe('metric-studio leaderboard', () => {
  it("lists raw pixels, each installed zoo model and every run's best checkpoint with evaluate's numbers, best first, once", () => {
    const rows = json(['leaderboard', '--dataset', seen, '--root', SAMPLE_ROOT, '--json']) as {
      kind: string;
      label: string;
      zoo: string | null;
      checkpoint: string | null;
      cmc1: number;
      p5: number;
      map10: number;
      seconds: number | null;
      cached: boolean;
    }[];
    const runs = json(['runs', 'list', '--json']) as { id: number }[];
    expect(rows.filter((r) => r.kind === 'run').length).toBe(runs.length);
    expect(rows.filter((r) => r.kind === 'zoo').map((r) => r.zoo)).toEqual(['tiny_resnet']);
    expect(rows.map((r) => r.cmc1)).toEqual([...rows.map((r) => r.cmc1)].sort((a, b) => b - a));
    const metrics = ['--cmc', '1', '--precision', '5', '--map', '10', '--pcf', ''];
    for (const r of rows) {
      const source =
        r.kind === 'raw-pixels' ? ['--baseline', 'raw-pixels'] : r.kind === 'zoo' ? ['--zoo', r.zoo!] : ['--checkpoint', r.checkpoint!];
      const ev = evaluate(source, metrics);
      expect(r.cmc1, r.label).toBeCloseTo(ev.cmc['1'], 6);
      expect(r.p5, r.label).toBeCloseTo(ev.precision['5'], 6);
      expect(r.map10, r.label).toBeCloseTo(ev.map['10'], 6);
      if (r.kind === 'run') expect(r.seconds).toBeGreaterThan(0);
    }
    expect(rows.every((r) => !r.cached)).toBe(true);
    const text = cli(['leaderboard', '--dataset', seen, '--root', SAMPLE_ROOT], env).stdout;
    expect(text).toMatch(/warning: run #\d+ untrainable \(best checkpoint\) does not beat raw pixels/);
    // Stored: the next call reads every row back; a changed CSV measures again.
    const again = json(['leaderboard', '--dataset', seen, '--root', SAMPLE_ROOT, '--json']) as typeof rows;
    expect(again.every((r) => r.cached)).toBe(true);
    expect(again.map((r) => r.cmc1)).toEqual(rows.map((r) => r.cmc1));
    appendFileSync(seen, '\n');
    const changed = json(['leaderboard', '--dataset', seen, '--root', SAMPLE_ROOT, '--json']) as typeof rows;
    expect(changed.every((r) => !r.cached)).toBe(true);
  }, 180_000);
});
