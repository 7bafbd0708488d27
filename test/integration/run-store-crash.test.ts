import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../main/store/migrations';
import { RunStore } from '../../main/store/runs';
import { Sqlite } from '../../main/store/sqlite';
import { cli } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('ms-store-')));
afterEach(() => cleanup());

function startWriter(dataDir: string, gate?: string) {
  const child = spawn(
    process.execPath,
    [path.resolve('bin/run-ts.mjs'), 'test/helpers/store-writer.ts', dataDir, ...(gate ? [gate] : [])],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let written = 0;
  let waiters: { atLeast: number; resolve: () => void }[] = [];
  let readyResolve: (id: number) => void;
  const ready = new Promise<number>((resolve) => (readyResolve = resolve));
  let buffered = '';
  child.stdout.on('data', (d) => {
    buffered += String(d);
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const r = /^ready (\d+)$/.exec(line);
      if (r) readyResolve(Number(r[1]));
      const w = /^wrote (\d+)$/.exec(line);
      if (w) written = Number(w[1]);
    }
    waiters = waiters.filter((x) => (written >= x.atLeast ? void x.resolve() : true));
  });
  /** Resolves once the writer has committed at least `n` batches. */
  const committed = (n: number) => new Promise<void>((resolve) => (written >= n ? resolve() : waiters.push({ atLeast: n, resolve })));
  return { child, ready, committed, written: () => written };
}

describe('run store under crashes and concurrency', () => {
  it('survives kill -9 of a writer mid-stream: integrity ok, only whole transactions, run marked interrupted', async () => {
    const { child, ready, committed } = startWriter(dir);
    const runId = await ready;
    await committed(20); // mid-stream: well into it, still writing
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));

    const store = await RunStore.open(dir);
    expect((await store.db.get<{ integrity_check: string }>('PRAGMA integrity_check'))!.integrity_check).toBe('ok');
    const { n } = (await store.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM metrics WHERE run_id=?', [runId]))!;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeGreaterThanOrEqual(20 * 100);
    expect(n % 100).toBe(0); // each batch is one transaction: none half-written
    const run = (await store.getRun(runId))!;
    expect(run.status).toBe('interrupted');
    expect(Object.keys(run.lastMetrics)).toHaveLength(100);
    await store.close();
  }, 30_000);

  it('serves a reader while another process streams metrics (WAL + busy_timeout: no SQLITE_BUSY)', async () => {
    const { child, ready, committed, written } = startWriter(dir);
    const runId = await ready;
    const reader = await RunStore.open(dir);
    let last = 0;
    for (let i = 0; i < 30; i++) {
      const runs = await reader.listRuns();
      expect(runs.map((r) => r.id)).toContain(runId);
      const series = await reader.metricSeries(runId, ['k0']);
      const count = series.k0?.length ?? 0;
      expect(count).toBeGreaterThanOrEqual(last);
      last = count;
      await committed(written() + 1); // read again once the writer has committed more
    }
    expect(last).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    await reader.close();
  }, 30_000);

  it('eight writers that open a new database at the same moment all create it, migrate and write (none dies on SQLITE_BUSY)', async () => {
    const gate = path.join(path.dirname(dir), `${path.basename(dir)}.go`);
    const writers = Array.from({ length: 8 }, () => startWriter(dir, gate));
    const exits = writers.map((w) => new Promise<number | null>((r) => w.child.on('exit', (code) => r(code))));
    await new Promise((r) => setTimeout(r, 3000)); // every writer has loaded and waits at the gate
    writeFileSync(gate, '');
    const stillAlive = Promise.all(
      writers.map(async (w) => {
        await w.ready;
        await w.committed(10);
      }),
    ).then(() => true);
    const first = await Promise.race([stillAlive, Promise.race(exits).then((code) => `a writer exited with ${code}`)]);
    for (const w of writers) w.child.kill('SIGKILL');
    await Promise.all(exits);
    expect(first).toBe(true);
    const store = await RunStore.open(dir);
    const runs = await store.db.all<{ id: number; n: number }>('SELECT run_id AS id, COUNT(*) AS n FROM metrics GROUP BY run_id');
    expect(runs).toHaveLength(8);
    for (const r of runs) expect(r.n).toBeGreaterThanOrEqual(10 * 100);
    await store.close();
    rmSync(gate);
  }, 60_000);

  it('upgrades every earlier schema version to the latest, keeping the data', async () => {
    for (let from = 1; from < MIGRATIONS.length; from++) {
      const file = path.join(dir, `v${from}.sqlite`);
      const db = await Sqlite.open(file);
      await migrate(db, MIGRATIONS.slice(0, from));
      await db.run(`INSERT INTO runs (name, status, created_at) VALUES ('old run', 'finished', '2026-01-01T00:00:00Z')`);
      await migrate(db);
      expect((await db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version).toBe(MIGRATIONS.length);
      const row = await db.get<{ name: string; base_dir: string | null }>('SELECT name, base_dir FROM runs');
      expect(row).toEqual({ name: 'old run', base_dir: null });
      await db.close();
    }
  });
});

describe('runs CLI', () => {
  it('lists, shows, compares and deletes with --json', async () => {
    const store = await RunStore.open(dir);
    const a = await store.createRun({ name: 'a', configYaml: 'seed: 1\noptimizer: { name: adam, args: { lr: 0.001 } }\n' });
    const b = await store.createRun({ name: 'b', configYaml: 'seed: 1\noptimizer: { name: adam, args: { lr: 0.01 } }\n' });
    await store.logMetrics(a, [{ step: 1, epoch: 0, key: 'OVERALL/cmc/1', value: 0.5 }]);
    await store.logMetrics(b, [{ step: 1, epoch: 0, key: 'OVERALL/cmc/1', value: 0.7 }]);
    await store.setStatus(a, 'finished');
    await store.setStatus(b, 'finished');
    await store.close();

    const list = JSON.parse(cli(['runs', 'list', '--json', '--data-dir', dir]).stdout);
    expect(list.map((r: { name: string }) => r.name)).toEqual(['b', 'a']);
    const shown = JSON.parse(cli(['runs', 'show', String(a), '--json', '--data-dir', dir]).stdout);
    expect(shown).toMatchObject({ id: a, name: 'a', lastMetrics: { 'OVERALL/cmc/1': 0.5 }, checkpoints: [] });
    const cmp = JSON.parse(cli(['runs', 'compare', String(a), String(b), '--json', '--data-dir', dir]).stdout);
    expect(cmp.configDiff).toEqual([{ key: 'optimizer.args.lr', values: ['0.001', '0.01'] }]);
    expect(cmp.metrics).toEqual([{ key: 'OVERALL/cmc/1', values: [0.5, 0.7] }]);
    const text = cli(['runs', 'compare', String(a), String(b), '--data-dir', dir]).stdout;
    expect(text).toMatch(/cmc\/1\s+0\.5000\s+0\.7000/);
    expect(cli(['runs', 'delete', String(a), '--data-dir', dir]).code).toBe(0);
    expect(JSON.parse(cli(['runs', 'list', '--json', '--data-dir', dir]).stdout)).toHaveLength(1);
    const missing = cli(['runs', 'show', '999', '--data-dir', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No run with id 999');
  }, 60_000);
});
