// Fuzz class 4 of issue #30 — logged data is never lost or misplaced: the CLI supervising a run is killed with -9
// at random points, each time followed by `train --resume`, and the stored series must be the unbroken run's; a
// data folder copied elsewhere resumes into itself; a diverging run keeps its points.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { mulberry32 } from '../../main/random';
import { RunStore } from '../../main/store/runs';
import { lastCheckpointOf } from '../../main/engine/train/checkpoint-dir';
import { BIN } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';
import { SAMPLE_ROOT, seenLabelsCsv, smallConfig } from '../helpers/training';
import { FUZZ_SEED, Tally, fuzzCases } from './tally';

const tally = new Tally();
let dir: string;
let cleanup: () => void;
let configFile: string;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('ms-fuzz-durable-'));
  const csv = seenLabelsCsv(dir);
  configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, YAML.stringify(smallConfig(csv, { max_epochs: 12, valid_period: 3 })));
});
afterAll(() => {
  console.log(`fuzz durability (seed ${FUZZ_SEED})\n${tally.report()}`);
  cleanup();
});

function startCli(args: string[]): { child: ChildProcess; output: () => string; done: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => output, done };
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

async function seriesKeys(dataDir: string, runId: number): Promise<string[]> {
  const store = await RunStore.open(dataDir);
  try {
    const series = await store.metricSeries(runId);
    return Object.entries(series)
      .flatMap(([key, pts]) => pts.map(([step, epoch]) => `${key}@${step}/${epoch}`))
      .sort();
  } finally {
    await store.close();
  }
}

async function workerGone(dataDir: string, runId: number): Promise<void> {
  const store = await RunStore.open(dataDir);
  try {
    for (let t = 0; t < 300 && (await store.livePid(runId)) !== null; t++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await store.close();
  }
}

/**
 * Trains run `runId` (the config again) and kills its supervising CLI or its worker with -9 whenever its journal
 * reaches the next of `kills` random lengths (once a checkpoint exists to resume from), each time resuming it, then
 * compares the stored (key, step, epoch) set with the unbroken run's. Returns how many kills landed.
 */
async function killAndResume(o: {
  dataDir: string;
  runId: number;
  kills: number;
  victim: 'parent' | 'worker';
  total: number;
  want: string[];
  rng: () => number;
}): Promise<number> {
  const cls = `kill -9 ${o.victim}`;
  // Kill points: journal lengths drawn at random over the run, in order — so every kill lands further on.
  const targets = Array.from({ length: o.kills }, () => 1 + Math.floor(o.rng() * (o.total - 1))).sort((a, b) => a - b);
  const journal = path.join(o.dataDir, 'runs', String(o.runId), 'metrics.jsonl');
  let killed = 0;
  for (let i = 0; i <= o.kills; i++) {
    const run = startCli(
      i === 0 ? ['train', configFile, '--data-dir', o.dataDir] : ['train', '--resume', String(o.runId), '--data-dir', o.dataDir],
    );
    if (i === o.kills) {
      const code = await run.done;
      tally.add(cls, 'last resume', code === 0 ? 'clean' : 'crash', run.output().slice(-400));
      break;
    }
    const target = targets[i]!;
    const ended = await new Promise<boolean>((resolve) => {
      let busy = false;
      const poll = setInterval(() => {
        // A run killed before its first checkpoint has nothing to resume (the app says: train it again).
        if (busy || lines(journal) < target || !lastCheckpointOf(path.dirname(journal))) return;
        busy = true;
        void (async () => {
          // The worker's pid is the run's once it has started (before that, the run is claimed by the CLI's own).
          const pid = o.victim === 'parent' ? run.child.pid : await livePid(o.dataDir, o.runId);
          if (pid === undefined || pid === null || (o.victim === 'worker' && pid === run.child.pid)) {
            busy = false;
            return;
          }
          clearInterval(poll);
          process.kill(pid, 'SIGKILL');
          resolve(false);
        })();
      }, 10);
      void run.done.then(() => {
        clearInterval(poll);
        resolve(true);
      });
    });
    await run.done;
    if (ended) {
      // The run finished (or failed) before this point: what it says decides.
      const failed = !new RegExp(`run ${o.runId} finished`).test(run.output());
      tally.add(cls, `attempt ${i}`, failed ? 'crash' : 'clean', run.output().slice(-400));
      break;
    }
    killed++;
    // A killed worker: its supervisor says so and ends, with the run interrupted.
    const said = o.victim === 'parent' || /interrupted|exited/.test(run.output());
    tally.add(cls, `kill ${i} at journal line ${target}`, said ? 'clean' : 'wrong accept', run.output().slice(-300));
    // After a parent's kill its worker notices at the end of the step it is in, and exits; until then the run has a
    // live writer and a resume is refused (one writer per run).
    await workerGone(o.dataDir, o.runId);
  }
  const got = await seriesKeys(o.dataDir, o.runId);
  const lost = o.want.filter((k) => !got.includes(k));
  const extra = got.filter((k) => !o.want.includes(k));
  tally.add(
    cls,
    `${killed} kills`,
    lost.length || extra.length ? 'data loss' : 'clean',
    `lost ${lost.length} (${lost.slice(0, 4).join(', ')}), extra ${extra.length} (${extra.slice(0, 4).join(', ')})`,
  );
  return killed;
}

async function livePid(dataDir: string, runId: number): Promise<number | null> {
  const store = await RunStore.open(dataDir);
  try {
    return await store.livePid(runId);
  } finally {
    await store.close();
  }
}

/** Run 1 of a fresh data folder, its CLI killed with -9 as soon as it has a checkpoint, and its worker gone. */
async function killedAfterFirstCheckpoint(dataDir: string): Promise<void> {
  const run = startCli(['train', configFile, '--data-dir', dataDir]);
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (lastCheckpointOf(path.join(dataDir, 'runs', '1'))) {
        clearInterval(poll);
        run.child.kill('SIGKILL');
        resolve();
      }
    }, 10);
  });
  await run.done;
  await workerGone(dataDir, 1);
}

describe('fuzz class 4: logged data survives kills, copies and divergence', () => {
  it('kill -9 of the supervising CLI at 20 random points, and of the worker at 4, each followed by --resume, keeps the unbroken series', async () => {
    const dataDir = path.join(dir, 'data');
    const unbroken = startCli(['train', configFile, '--data-dir', dataDir]);
    expect(await unbroken.done, unbroken.output()).toBe(0);
    const want = await seriesKeys(dataDir, 1);
    const total = lines(path.join(dataDir, 'runs', '1', 'metrics.jsonl'));
    expect(total).toBeGreaterThan(10);

    const rng = mulberry32(FUZZ_SEED);
    const parentKills = await killAndResume({ dataDir, runId: 2, kills: fuzzCases(20), victim: 'parent', total, want, rng });
    expect(parentKills).toBeGreaterThan(fuzzCases(20) / 2);
    const workerKills = await killAndResume({ dataDir, runId: 3, kills: fuzzCases(4), victim: 'worker', total, want, rng });
    expect(workerKills).toBeGreaterThan(fuzzCases(4) / 2);
    expect([...tally.failuresOf('kill -9 parent'), ...tally.failuresOf('kill -9 worker')]).toEqual([]);
  }, 600_000);

  it('a data folder copied elsewhere resumes into itself, never into the original', async () => {
    const original = path.join(dir, 'orig');
    await killedAfterFirstCheckpoint(original);
    const outDir = path.join(original, 'runs', '1');
    const copy = path.join(dir, 'copy');
    cpSync(original, copy, { recursive: true });
    const before = snapshot(outDir);
    const resumed = startCli(['train', '--resume', '1', '--data-dir', copy]);
    const code = await resumed.done;
    tally.add('copied folder', 'resume finishes', code === 0 ? 'clean' : 'crash', resumed.output().slice(-300));
    const after = snapshot(outDir);
    tally.add('copied folder', 'original untouched', after === before ? 'clean' : 'data loss', 'the resume wrote into the original folder');
    const store = await RunStore.open(copy);
    try {
      const paths = (await store.checkpoints(1)).map((c) => c.path);
      const outside = paths.filter((p) => !p.startsWith(copy));
      tally.add('copied folder', 'checkpoints in the copy', paths.length && !outside.length ? 'clean' : 'data loss', outside.join(', '));
    } finally {
      await store.close();
    }
    expect(tally.failuresOf('copied folder')).toEqual([]);
  }, 120_000);

  it('a diverging run keeps its points, stores the non-finite loss as such and says it diverged', async () => {
    const dataDir = path.join(dir, 'diverge');
    const run = startCli(['train', configFile, '--set', 'optimizer.name=sgd', '--set', 'optimizer.args.lr=1e38', '--data-dir', dataDir]);
    const code = await run.done;
    tally.add('diverging run', 'exit', code === 1 && /diverged/.test(run.output()) ? 'clean' : 'wrong accept', run.output().slice(-300));
    const store = await RunStore.open(dataDir);
    try {
      const loss = (await store.metricSeries(1, ['loss'])).loss ?? [];
      tally.add('diverging run', 'points kept', loss.length >= 2 && loss.at(-1)![2] === null ? 'clean' : 'data loss', JSON.stringify(loss));
      const detail = await store.getRun(1);
      tally.add(
        'diverging run',
        'status',
        detail?.status === 'failed' && /diverged/.test(detail.error ?? '') ? 'clean' : 'wrong accept',
        detail?.status,
      );
    } finally {
      await store.close();
    }
    expect(tally.failuresOf('diverging run')).toEqual([]);
  }, 120_000);

  it('runs delete racing train --resume: one of them wins, the other refuses in words', async () => {
    const rng = mulberry32(FUZZ_SEED + 1);
    for (let i = 0; i < fuzzCases(1); i++) {
      const dataDir = path.join(dir, `race-${i}`);
      await killedAfterFirstCheckpoint(dataDir);
      const resume = startCli(['train', '--resume', '1', '--data-dir', dataDir]);
      await new Promise((r) => setTimeout(r, Math.floor(rng() * 2500)));
      const del = startCli(['runs', 'delete', '1', '--data-dir', dataDir]);
      const [rc, dc] = await Promise.all([resume.done, del.done]);
      const outputs = `${resume.output()}\n${del.output()}`;
      const crashed =
        /\n\s+at |Cannot read propert|TypeError|SQLITE_CONSTRAINT/.test(outputs) || rc === null || dc === null || rc > 2 || dc > 2;
      tally.add('delete vs resume', `delete after ${i}`, crashed ? 'crash' : 'clean', `resume ${rc}, delete ${dc}: ${outputs.slice(-400)}`);
    }
    expect(tally.failuresOf('delete vs resume')).toEqual([]);
  }, 180_000);

  // A small full disk: a tmpfs mounted in a user and mount namespace (where the machine allows one; CI containers
  // may not, and then this says so and checks nothing).
  const namespaces = spawnSync('unshare', ['-r', '-m', 'true']).status === 0;
  it.skipIf(!namespaces)(
    'a full disk ends the run as failed with one message naming the disk, and the store still reads',
    async () => {
      const mountDir = path.join(dir, 'small-disk');
      mkdirSync(mountDir);
      const script = [
        `mount -t tmpfs -o size=1m tmpfs ${mountDir}`,
        `${process.execPath} ${BIN} train ${configFile} --data-dir ${mountDir}/data; echo "train exit $?"`,
        `${process.execPath} ${BIN} runs list --data-dir ${mountDir}/data; echo "list exit $?"`,
      ].join(' && ');
      const r = spawnSync('unshare', ['-r', '-m', 'sh', '-c', script], { encoding: 'utf8', timeout: 120_000 });
      const output = `${r.stdout}${r.stderr}`;
      tally.add('full disk', 'train', /train exit 1/.test(output) && /is full/.test(output) ? 'clean' : 'wrong accept', output.slice(-500));
      tally.add('full disk', 'no stack', /\n\s+at |SQLITE_FULL: database/.test(output) ? 'crash' : 'clean', output.slice(-500));
      tally.add(
        'full disk',
        'store reads',
        /list exit 0/.test(output) && /interrupted|failed/.test(output) ? 'clean' : 'crash',
        output.slice(-500),
      );
      expect(tally.failuresOf('full disk')).toEqual([]);
    },
    180_000,
  );

  // A read-only data folder: a bind mount remounted read-only in a user and mount namespace (where allowed).
  it.skipIf(!namespaces)(
    'a read-only data folder is read, compared and evaluated; what would write says it is read-only',
    async () => {
      const dataDir = path.join(dir, 'read-only');
      const short = path.join(dir, 'short.yaml');
      writeFileSync(short, YAML.stringify({ ...YAML.parse(readFileSync(configFile, 'utf8')), max_epochs: 2 }));
      expect(await startCli(['train', short, '--data-dir', dataDir]).done).toBe(0);
      const csv = (YAML.parse(readFileSync(configFile, 'utf8')) as { dataset: string }).dataset;
      const steps: [string, string[], 'read' | 'write'][] = [
        ['runs list', ['runs', 'list', '--data-dir', dataDir], 'read'],
        ['runs show', ['runs', 'show', '1', '--data-dir', dataDir], 'read'],
        ['runs compare', ['runs', 'compare', '1', '1', '--data-dir', dataDir], 'read'],
        [
          'evaluate --checkpoint',
          [
            'evaluate',
            '--dataset',
            csv,
            '--root',
            SAMPLE_ROOT,
            '--checkpoint',
            path.join(dataDir, 'runs', '1', 'checkpoints', 'best'),
            '--data-dir',
            dataDir,
          ],
          'read',
        ],
        ['train', ['train', short, '--data-dir', dataDir], 'write'],
        ['runs delete', ['runs', 'delete', '1', '--data-dir', dataDir], 'write'],
      ];
      const script = [
        `mount --bind ${dataDir} ${dataDir}`,
        `mount -o remount,ro,bind ${dataDir}`,
        ...steps.map(
          ([name, args]) =>
            `echo "<<${name}>>"; ${process.execPath} ${BIN} ${args.map((a) => `'${a}'`).join(' ')} 2>&1; echo "<<exit $?>>"`,
        ),
      ].join('; ');
      const r = spawnSync('unshare', ['-r', '-m', 'sh', '-c', script], { encoding: 'utf8', timeout: 300_000 });
      const out = `${r.stdout}${r.stderr}`;
      for (const [name, , kind] of steps) {
        const part = out.slice(out.indexOf(`<<${name}>>`), out.indexOf('<<exit', out.indexOf(`<<${name}>>`)) + 12);
        const code = Number(/<<exit (\d+)>>/.exec(part)?.[1] ?? -1);
        const stack = /\n\s+at |TypeError|Cannot read propert/.test(part);
        const outcome = stack
          ? 'crash'
          : kind === 'read'
            ? code === 0
              ? 'clean'
              : 'wrong refusal'
            : code !== 0 && /read-only/.test(part)
              ? 'clean'
              : code === 0
                ? 'wrong accept'
                : 'crash';
        tally.add('read-only folder', name, outcome, part.slice(-300));
      }
      expect(tally.failuresOf('read-only folder')).toEqual([]);
    },
    300_000,
  );
});

/** Names, sizes and times of every file under a folder: equal snapshots, nothing written. */
function snapshot(folder: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        out.push(`${p} ${st.size} ${st.mtimeMs}`);
      }
    }
  };
  walk(folder);
  return out.sort().join('\n');
}
