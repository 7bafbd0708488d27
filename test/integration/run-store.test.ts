import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../main/store/migrations';
import { RunStore } from '../../main/store/runs';
import { Sqlite } from '../../main/store/sqlite';
import { tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('run store', () => {
  it('creates the schema at the latest version with WAL and foreign keys', async () => {
    const store = await RunStore.open(dir);
    expect((await store.db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version).toBe(MIGRATIONS.length);
    expect((await store.db.get<{ journal_mode: string }>('PRAGMA journal_mode'))!.journal_mode).toBe('wal');
    expect((await store.db.get<{ foreign_keys: number }>('PRAGMA foreign_keys'))!.foreign_keys).toBe(1);
    // The config is kept once, as its YAML (v8 dropped an unread JSON copy).
    const columns = (await store.db.all<{ name: string }>('PRAGMA table_info(runs)')).map((c) => c.name);
    expect(columns).toContain('config_yaml');
    expect(columns).not.toContain('config_json');
    await store.close();
  });

  it('keeps every run of a v7 database when v8 drops the JSON copy of the config', async () => {
    const db = await Sqlite.open(path.join(dir, 'runs.sqlite'));
    await migrate(db, MIGRATIONS.slice(0, 7));
    await db.run(
      `INSERT INTO runs (name, status, config_yaml, config_json, created_at) VALUES ('old', 'finished', 'seed: 3', '{"seed":3}', '2026-01-01')`,
    );
    await db.run(`INSERT INTO metrics (run_id, step, epoch, key, value, time) VALUES (1, 5, 0, 'loss', 0.5, 0)`);
    await db.close();
    const store = await RunStore.open(dir);
    expect(await store.getRun(1)).toMatchObject({ name: 'old', status: 'finished', configYaml: 'seed: 3' });
    expect((await store.metricSeries(1)).loss).toEqual([[5, 0, 0.5]]);
    await store.close();
  });

  it('refuses a database from a newer app', async () => {
    const db = await Sqlite.open(path.join(dir, 'x.sqlite'));
    await db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
    await expect(migrate(db)).rejects.toThrow(/newer than this Metric Studio/);
    await db.close();
  });

  it('rolls back a failing migration whole', async () => {
    const db = await Sqlite.open(path.join(dir, 'y.sqlite'));
    await expect(
      migrate(db, ['CREATE TABLE a (x INTEGER);', 'CREATE TABLE b (y INTEGER); SELECT * FROM missing_table;']),
    ).rejects.toThrow();
    expect((await db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version).toBe(1);
    expect(await db.all("SELECT name FROM sqlite_master WHERE name='b'")).toEqual([]);
    await db.close();
  });

  it('gives a default name that is taken the next free " (n)", created at once, and keeps a chosen name as it is', async () => {
    const store = await RunStore.open(dir);
    const base = 'mnist_50%_cnn';
    const ids = await Promise.all(Array.from({ length: 4 }, () => store.createRun({ name: base, distinctName: true })));
    await store.createRun({ name: 'mnist_5_cnn', distinctName: true }); // LIKE's _ and % match only themselves
    await store.update(ids[1]!, { name: 'renamed' });
    const again = await store.createRun({ name: base, distinctName: true });
    const chosen = await store.createRun({ name: base });
    const names = await Promise.all([...ids, again, chosen].map(async (id) => (await store.getRun(id))!.name));
    expect(names).toEqual(
      [base, `${base} (2)`, `${base} (3)`, `${base} (4)`, `${base} (2)`, base].map((n, i) => (i === 1 ? 'renamed' : n)),
    );
    await store.close();
  });

  it('lists runs newest first with their last metric values and tags', async () => {
    const store = await RunStore.open(dir);
    const ds = await store.registerDataset('mini', '/d/df.csv', '/d');
    const a = await store.createRun({ name: 'first', datasetId: ds });
    const b = await store.createRun({ name: 'second' });
    await store.setStatus(a, 'running', { backend: 'wasm', pid: process.pid });
    await store.logMetrics(a, [
      { step: 1, epoch: 0, key: 'loss', value: 0.9 },
      { step: 2, epoch: 0, key: 'loss', value: 0.5 },
      { step: 2, epoch: 0, key: 'OVERALL/cmc/1', value: 0.8 },
    ]);
    await store.addTag(a, 'baseline');
    const runs = await store.listRuns();
    expect(runs.map((r) => r.name)).toEqual(['second', 'first']);
    expect(runs[1]).toMatchObject({
      status: 'running',
      backend: 'wasm',
      datasetCsv: '/d/df.csv',
      datasetRoot: '/d',
      tags: ['baseline'],
      lastMetrics: { loss: 0.5, 'OVERALL/cmc/1': 0.8 },
    });
    expect(runs[1]!.startedAt).not.toBeNull();
    expect((await store.listRuns({ search: 'sec' })).map((r) => r.id)).toEqual([b]);
    expect((await store.listRuns({ limit: 1 })).map((r) => r.name)).toEqual(['second']);
    await store.close();
  });

  it("gives each run's best checkpoint metric as its Best, not the last logged value", async () => {
    const store = await RunStore.open(dir);
    const id = await store.createRun({ name: 'rises-then-falls' });
    const cmc = [0.84, 0.8633, 0.85];
    await store.logMetrics(id, [
      { step: 0, epoch: -1, key: 'OVERALL/cmc/1', value: 0.8767 }, // the untrained network, validated before step 1
      ...cmc.map((value, epoch) => ({ step: epoch * 10 + 10, epoch, key: 'OVERALL/cmc/1', value })),
    ]);
    // What the checkpointing callback records: a best at its epoch, a last at the end.
    await store.recordCheckpoint(id, { kind: 'best', path: '/r/best', epoch: 0, metricKey: 'OVERALL/cmc/1', metricValue: 0.84 });
    await store.recordCheckpoint(id, { kind: 'best', path: '/r/best', epoch: 1, metricKey: 'OVERALL/cmc/1', metricValue: 0.8633 });
    await store.recordCheckpoint(id, { kind: 'last', path: '/r/last', epoch: 2, metricKey: 'OVERALL/cmc/1', metricValue: 0.85 });
    const none = await store.createRun({ name: 'no-checkpoint-yet' });
    const runs = await store.listRuns();
    expect(runs.find((r) => r.id === id)!.best).toEqual({ key: 'OVERALL/cmc/1', value: 0.8633, epoch: 1, untrained: 0.8767 });
    expect(runs.find((r) => r.id === id)!.lastMetrics['OVERALL/cmc/1']).toBe(0.85);
    expect(runs.find((r) => r.id === none)!.best).toBeNull();
    expect((await store.getRun(id))!.best!.value).toBe(0.8633);
    await store.close();
  });

  it("measures a run's duration from its process's start, loading included, to its end", async () => {
    const store = await RunStore.open(dir);
    const id = await store.createRun({ name: 'timed' });
    expect((await store.getRun(id))!.startedAt).toBeNull(); // created, nothing started yet
    await store.setStatus(id, 'queued', { pid: process.pid }); // the worker process is up
    const started = (await store.getRun(id))!.startedAt;
    expect(started).not.toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    await store.setStatus(id, 'running', { backend: 'wasm' }); // its backend loaded: the start stays the process's
    expect((await store.getRun(id))!.startedAt).toBe(started);
    await store.setStatus(id, 'finished');
    const run = (await store.getRun(id))!;
    expect(Date.parse(run.endedAt!) - Date.parse(run.startedAt!)).toBeGreaterThanOrEqual(20);
    await store.close();
  });

  it('marks runs whose process died as interrupted on the next start', async () => {
    const store = await RunStore.open(dir);
    const alive = await store.createRun({ name: 'alive' });
    const dead = await store.createRun({ name: 'dead' });
    await store.setStatus(alive, 'running', { pid: process.pid });
    await store.setStatus(dead, 'running', { pid: 2 ** 22 + 12345 });
    await store.close();

    const reopened = await RunStore.open(dir);
    expect((await reopened.getRun(alive))!.status).toBe('running');
    const d = (await reopened.getRun(dead))!;
    expect(d.status).toBe('interrupted');
    expect(d.endedAt).not.toBeNull();
    await reopened.close();
  });
});
