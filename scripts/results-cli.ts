/**
 * What the results scripts share: the real CLI run as a user would (a separate process, timed, its peak memory —
 * the CLI's and its worker's — read by GNU time where installed), `evaluate` and a training run's best checkpoint
 * re-evaluated on images.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appRoot } from '../main/paths';

export interface Measured {
  cmc: number;
  map: number;
  seconds: number;
  /** Peak resident memory of the command and its worker (bytes), null without GNU time. */
  peakBytes: number | null;
  /** Training images per second (the run's last logged rate), null for what does not train. */
  imgPerSec: number | null;
}

const TIME = '/usr/bin/time';

/** Runs `metric-studio ARGS`; throws with its stderr when it fails. */
export function cli(args: string[]): { out: string; seconds: number; peakBytes: number | null } {
  const bin = [path.join(appRoot(), 'bin', 'metric-studio.mjs'), ...args];
  const rss = path.join(os.tmpdir(), `metric-studio-rss-${process.pid}`);
  const timed = existsSync(TIME);
  const t0 = performance.now();
  const r = timed
    ? spawnSync(TIME, ['-f', '%M', '-o', rss, process.execPath, ...bin], { encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(process.execPath, bin, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`metric-studio ${args.join(' ')} failed:\n${r.stderr}`);
  // GNU time's %M is the largest resident set in KB among the process and the children it waited for.
  const peakBytes = timed ? Number(readFileSync(rss, 'utf8').trim().split('\n').at(-1)) * 1024 : null;
  rmSync(rss, { force: true });
  return { out: r.stdout, seconds, peakBytes };
}

export function evaluate(csv: string, source: string[], dataDir: string): Measured {
  const r = cli(['evaluate', '--dataset', csv, ...source, '--cmc', '1', '--map', '10', '--json', '--data-dir', dataDir]);
  const m = JSON.parse(r.out).OVERALL;
  return { cmc: m.cmc['1'] as number, map: m.map['10'] as number, seconds: r.seconds, peakBytes: r.peakBytes, imgPerSec: null };
}

/** Trains `config` (keys overridden by `sets`), then evaluates its best checkpoint on the images. */
export function trainRun(config: string, sets: string[], dataDir: string): Measured & { runId: number } {
  const r = cli(['train', config, '--data-dir', dataDir, ...sets.flatMap((s) => ['--set', s])]);
  const runId = Number(/^run (\d+) /m.exec(r.out)![1]);
  const show = JSON.parse(cli(['runs', 'show', String(runId), '--json', '--data-dir', dataDir]).out);
  const best = show.checkpoints.find((c: { kind: string }) => c.kind === 'best');
  const ev = evaluate(show.datasetCsv, ['--checkpoint', best.path], dataDir);
  return { ...ev, seconds: r.seconds, peakBytes: r.peakBytes, imgPerSec: show.lastMetrics.img_per_s ?? null, runId };
}

/** A YAML config of `keys` (values written as YAML flow text) at `file`. */
export function writeConfig(file: string, keys: Record<string, string>): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    Object.entries(keys)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n'),
  );
  return file;
}

/** Zoo model key → input size, from `zoo list` (downloading the models first). */
export function zooSizes(keys: string[], dataDir: string): Map<string, number> {
  for (const key of keys) cli(['zoo', 'download', key, '--data-dir', dataDir]);
  const list = JSON.parse(cli(['zoo', 'list', '--json', '--data-dir', dataDir]).out) as { key: string; inputSize: number }[];
  return new Map(list.map((e) => [e.key, e.inputSize]));
}

/** A Fashion-MNIST subset (per label, per split) made by `npm run sample`, its CSV path. */
export function fashionMnist(protocol: 'seen' | 'unseen', perLabel: number): string {
  const out = path.join(appRoot(), 'datasets', `fmnist-${protocol}-${perLabel}`);
  const r = spawnSync(
    process.execPath,
    [
      path.join(appRoot(), 'bin', 'run-ts.mjs'),
      'scripts/make-sample.ts',
      '--protocol',
      protocol,
      '--per-label',
      String(perLabel),
      '--out',
      out,
    ],
    { stdio: 'ignore' },
  );
  if (r.status !== 0) throw new Error(`npm run sample failed for ${protocol}`);
  return path.join(out, 'df.csv');
}
