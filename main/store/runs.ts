import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Baseline } from '../../shared/baselines';
import type { RunDetail, RunStatus, RunSummary } from '../../shared/schemas/run';
import { MIGRATIONS, migrate } from './migrations';
import { Sqlite } from './sqlite';
import { isInside } from '../paths';
import { storageMessage } from '../disk-errors';

interface RunRow {
  id: number;
  name: string;
  status: RunStatus;
  csv_path: string | null;
  dataset_root: string | null;
  dataset_digest: string | null;
  backend: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  config_yaml: string;
  error: string | null;
  notes: string;
  parent_run_id: number | null;
  pid: number | null;
}

export interface NewRun {
  name: string;
  configYaml?: string;
  datasetId?: number | null;
  status?: RunStatus;
  parentRunId?: number | null;
  /** SHA-256 of the dataset CSV as the run read it. */
  datasetDigest?: string | null;
  /** The name is a default (the config's postfix): taken already, it gets the next free " (n)" so runs tell apart. */
  distinctName?: boolean;
}

/** One version of a dataset: the file, which file it was made from, and how many change lines made it. */
export interface DatasetVersionRow {
  csvPath: string;
  root: string;
  version: number;
  parentCsv: string | null;
  changes: number | null;
  createdAt: string;
}

/** A stored embeddings file: the validation rows of one dataset file embedded by one model. */
export interface EmbeddingSetRow {
  id: number;
  csvPath: string;
  modelKey: string;
  fingerprint: string;
  path: string;
  dim: number;
  count: number;
  createdAt: string;
}

/** A model's metrics on a dataset's validation rows, as the leaderboard keeps them. */
export interface LeaderboardEntry {
  label: string;
  metrics: Record<string, number>;
  /** Wall time to get there (embedding the rows, or the run's training), null when unknown. */
  seconds: number | null;
  createdAt: string;
}

export class RunBusyError extends Error {
  constructor(
    readonly runId: number,
    readonly pid: number,
  ) {
    super(`Run ${runId} is being trained by process ${pid}: stop it first`);
  }
}

const RUN_SELECT = `SELECT r.*, d.csv_path, d.root AS dataset_root FROM runs r LEFT JOIN datasets d ON d.id = r.dataset_id`;

/** The run store: one SQLite file in the data folder, shared by the app, the CLI and web mode. */
export class RunStore {
  private constructor(
    readonly db: Sqlite,
    readonly file: string,
  ) {}

  /** The data folder: paths inside it are stored relative to it, so a copied or moved folder keeps its runs. */
  get dataDir(): string {
    return path.dirname(this.file);
  }
  private stored(p: string): string {
    return path.isAbsolute(p) && isInside(this.dataDir, p) ? path.relative(this.dataDir, p) || '.' : p;
  }
  private resolved(p: string): string {
    return path.isAbsolute(p) ? p : path.resolve(this.dataDir, p);
  }

  static async open(dataDir: string): Promise<RunStore> {
    if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) throw new Error(`The data folder ${dataDir} is a file, not a folder`);
    const file = path.join(dataDir, 'runs.sqlite');
    if (existsSync(dataDir) && !writable(dataDir)) {
      // A read-only data folder (a mounted archive, a colleague's share): its runs can be read, compared and
      // evaluated; anything that would write says the folder is read-only.
      if (!existsSync(file)) throw new Error(`The data folder ${dataDir} is read-only and holds no run database`);
      const db = await Sqlite.open(file, 5000, true);
      const version = (await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
      if (version !== MIGRATIONS.length) {
        await db.close();
        throw new Error(
          `The data folder ${dataDir} is read-only and its run database is schema v${version}, not v${MIGRATIONS.length}: open it once where it can be written`,
        );
      }
      return new RunStore(db, file);
    }
    mkdirSync(dataDir, { recursive: true });
    const db = await Sqlite.open(file);
    await db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;');
    await migrate(db);
    const store = new RunStore(db, file);
    // On a full disk the store still opens for reading; the orphans are marked the next time there is room.
    await store.markOrphansInterrupted().catch((err: unknown) => {
      if (!storageMessage(err, dataDir)) throw err;
    });
    return store;
  }

  /** A run left "running" or "queued" by a process that no longer exists died with it. */
  async markOrphansInterrupted(isAlive: (pid: number) => boolean = pidAlive): Promise<number> {
    const rows = await this.db.all<{ id: number; pid: number | null }>(`SELECT id, pid FROM runs WHERE status IN ('running','queued')`);
    const dead = rows.filter((r) => r.pid === null || !isAlive(r.pid));
    for (const r of dead) {
      await this.db.run(`UPDATE runs SET status='interrupted', ended_at=COALESCE(ended_at, ?) WHERE id=?`, [
        new Date().toISOString(),
        r.id,
      ]);
    }
    return dead.length;
  }

  async registerDataset(name: string, csvPath: string, root: string, summary?: unknown): Promise<number> {
    const now = new Date().toISOString();
    await this.db.run(
      `INSERT INTO datasets (name, csv_path, root, summary_json, created_at, opened_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (csv_path, root) DO UPDATE SET name=excluded.name, summary_json=COALESCE(excluded.summary_json, summary_json),
         opened_at=excluded.opened_at`,
      [name, csvPath, root, summary === undefined ? null : JSON.stringify(summary), now, now],
    );
    const row = await this.db.get<{ id: number }>('SELECT id FROM datasets WHERE csv_path=? AND root=?', [csvPath, root]);
    return row!.id;
  }

  /** Records that `csvPath` (registered) is version `version` of `parentCsv`, made by `changes` change lines. */
  async linkVersion(link: {
    csvPath: string;
    root: string;
    parentCsv: string;
    version: number;
    parentVersion: number;
    changes: number;
  }): Promise<void> {
    await this.db.transaction(async () => {
      await this.db.run('UPDATE datasets SET parent_csv=?, version=?, changes=? WHERE csv_path=? AND root=?', [
        link.parentCsv,
        link.version,
        link.changes,
        link.csvPath,
        link.root,
      ]);
      await this.db.run('UPDATE datasets SET version=COALESCE(version, ?) WHERE csv_path=?', [link.parentVersion, link.parentCsv]);
    });
  }

  /** Every version in `csvPath`'s family (its ancestors and their descendants), oldest first. */
  async datasetVersions(csvPath: string): Promise<DatasetVersionRow[]> {
    const all = await this.db.all<DatasetVersionRow>(
      `SELECT csv_path AS csvPath, root, COALESCE(version, 1) AS version, parent_csv AS parentCsv, changes, created_at AS createdAt
       FROM datasets ORDER BY id`,
    );
    const byCsv = new Map(all.map((d) => [d.csvPath, d]));
    let first = csvPath;
    for (let guard = 0; byCsv.get(first)?.parentCsv && guard < 1000; guard++) first = byCsv.get(first)!.parentCsv!;
    const family = new Set([first]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const d of all)
        if (d.parentCsv && family.has(d.parentCsv) && !family.has(d.csvPath)) {
          family.add(d.csvPath);
          grew = true;
        }
    }
    return all.filter((d) => family.has(d.csvPath)).sort((a, b) => a.version - b.version || a.createdAt.localeCompare(b.createdAt));
  }

  /** The datasets last opened, inspected or trained on, newest first. */
  async recentDatasets(limit = 10): Promise<{ name: string; csvPath: string; root: string; openedAt: string }[]> {
    return this.db.all(
      `SELECT name, csv_path AS csvPath, root, opened_at AS openedAt FROM datasets WHERE opened_at IS NOT NULL
       ORDER BY opened_at DESC, id DESC LIMIT ?`,
      [limit],
    );
  }

  async embeddingSet(csvPath: string, modelKey: string): Promise<EmbeddingSetRow | null> {
    const row = await this.db.get<EmbeddingSetRow>(
      `SELECT id, csv_path AS csvPath, model_key AS modelKey, fingerprint, path, dim, count, created_at AS createdAt
       FROM embedding_sets WHERE csv_path=? AND model_key=?`,
      [csvPath, modelKey],
    );
    return row ?? null;
  }

  /** Records a set in its (dataset, model) place; returns the file of the set it replaced, for the caller to delete. */
  async saveEmbeddingSet(set: Omit<EmbeddingSetRow, 'id' | 'createdAt'> & { datasetId?: number | null }): Promise<string | null> {
    return this.db.transaction(async () => {
      const old = await this.embeddingSet(set.csvPath, set.modelKey);
      await this.db.run('DELETE FROM embedding_sets WHERE csv_path=? AND model_key=?', [set.csvPath, set.modelKey]);
      await this.db.run(
        `INSERT INTO embedding_sets (csv_path, model_key, fingerprint, path, dim, count, dataset_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [set.csvPath, set.modelKey, set.fingerprint, set.path, set.dim, set.count, set.datasetId ?? null, new Date().toISOString()],
      );
      return old && old.path !== set.path ? old.path : null;
    });
  }

  async forgetEmbeddingSet(id: number): Promise<void> {
    await this.db.run('DELETE FROM embedding_sets WHERE id=?', [id]);
  }

  /** Every registered dataset's CSV and root: what requests may read from. */
  async datasetPlaces(): Promise<{ csvPath: string; root: string }[]> {
    return this.db.all<{ csvPath: string; root: string }>('SELECT csv_path AS csvPath, root FROM datasets');
  }

  async createRun(run: NewRun): Promise<number> {
    if (run.distinctName)
      return this.db.transaction(() => this.freeName(run.name).then((name) => this.createRun({ ...run, name, distinctName: false })));
    const { lastID } = await this.db.run(
      `INSERT INTO runs (name, status, dataset_id, config_yaml, created_at, parent_run_id, dataset_digest) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        run.name,
        run.status ?? 'queued',
        run.datasetId ?? null,
        run.configYaml ?? '',
        new Date().toISOString(),
        run.parentRunId ?? null,
        run.datasetDigest ?? null,
      ],
    );
    return lastID;
  }

  /** `base`, or `base (n)` with the smallest n ≥ 2 no run has. */
  private async freeName(base: string): Promise<string> {
    const like = `${base.replace(/[\\%_]/g, (c) => `\\${c}`)} (%)`;
    const taken = new Set(
      (await this.db.all<{ name: string }>(`SELECT name FROM runs WHERE name = ? OR name LIKE ? ESCAPE '\\'`, [base, like])).map(
        (r) => r.name,
      ),
    );
    if (!taken.has(base)) return base;
    let n = 2;
    while (taken.has(`${base} (${n})`)) n++;
    return `${base} (${n})`;
  }

  async setStatus(id: number, status: RunStatus, fields: { error?: string; backend?: string; pid?: number } = {}): Promise<void> {
    const now = new Date().toISOString();
    await this.db.run(
      `UPDATE runs SET status=?, error=COALESCE(?, error), backend=COALESCE(?, backend), pid=COALESCE(?, pid),
         started_at=CASE WHEN ?='running' OR ? IS NOT NULL THEN COALESCE(started_at, ?) ELSE started_at END,
         ended_at=CASE WHEN ? IN ('finished','failed','interrupted','stopped') THEN ? ELSE ended_at END
       WHERE id=?`,
      // A run starts when its process does (a pid arrives), not when its backend has loaded: the duration is the
      // wall time the user waited, loading included.
      [status, fields.error ?? null, fields.backend ?? null, fields.pid ?? null, status, fields.pid ?? null, now, status, now, id],
    );
  }

  /**
   * Waiting for a slot in process `ownerPid` (the app's, not a worker's): queued, not started — its duration begins
   * when its worker does — and not an orphan to other processes while that owner lives.
   */
  async markWaiting(runId: number, ownerPid: number): Promise<void> {
    await this.db.run(`UPDATE runs SET status='queued', pid=?, started_at=NULL WHERE id=?`, [ownerPid, runId]);
  }

  /** The pid of a live process training this run (status running or queued and the process exists), else null. */
  async livePid(runId: number): Promise<number | null> {
    const row = await this.db.get<{ pid: number | null; status: string }>('SELECT pid, status FROM runs WHERE id=?', [runId]);
    if (!row?.pid || (row.status !== 'running' && row.status !== 'queued')) return null;
    return pidAlive(row.pid) ? row.pid : null;
  }

  /**
   * Takes a run for process `ownerPid` to train again (a resume), under the write lock: 'gone' when it was deleted,
   * the pid of another live process training it, or 'ok' — then it is queued under `ownerPid`, so a delete from
   * any process refuses it from now on. The last attempt's error and end no longer apply.
   */
  async claim(runId: number, ownerPid: number): Promise<'ok' | 'gone' | number> {
    return this.db.transaction(async () => {
      const row = await this.db.get<{ pid: number | null; status: string }>('SELECT pid, status FROM runs WHERE id=?', [runId]);
      if (!row) return 'gone' as const;
      if (row.pid && row.pid !== ownerPid && (row.status === 'running' || row.status === 'queued') && pidAlive(row.pid)) return row.pid;
      await this.db.run(`UPDATE runs SET status='queued', pid=?, error=NULL, ended_at=NULL WHERE id=?`, [ownerPid, runId]);
      return 'ok' as const;
    });
  }

  /** Metrics arrive in bursts from the trainer: one transaction per batch keeps writes cheap and atomic. */
  async logMetrics(
    runId: number,
    rows: { step: number; epoch: number; key: string; value: number | null; time?: number }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction(async () => {
      for (const r of rows) {
        await this.db.run('INSERT INTO metrics (run_id, step, epoch, key, value, time) VALUES (?, ?, ?, ?, ?, ?)', [
          runId,
          r.step,
          r.epoch,
          r.key,
          Number.isNaN(r.value) || r.value === null ? null : r.value,
          r.time ?? Date.now() / 1000,
        ]);
      }
    });
  }

  async listRuns(filter: { status?: string; search?: string; limit?: number } = {}): Promise<RunSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status) {
      where.push('r.status = ?');
      params.push(filter.status);
    }
    if (filter.search) {
      where.push('(r.name LIKE ? OR d.csv_path LIKE ? OR r.id IN (SELECT run_id FROM run_tags WHERE tag LIKE ?))');
      params.push(`%${filter.search}%`, `%${filter.search}%`, `%${filter.search}%`);
    }
    const rows = await this.db.all<RunRow>(
      `${RUN_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.id DESC${filter.limit ? ' LIMIT ?' : ''}`,
      filter.limit ? [...params, filter.limit] : params,
    );
    return Promise.all(rows.map((r) => this.toSummary(r)));
  }

  async getRun(id: number): Promise<RunDetail | null> {
    const row = await this.db.get<RunRow>(`${RUN_SELECT} WHERE r.id = ?`, [id]);
    if (!row) return null;
    return {
      ...(await this.toSummary(row)),
      configYaml: row.config_yaml,
      error: row.error,
      notes: row.notes,
      parentRunId: row.parent_run_id,
    };
  }

  private async toSummary(r: RunRow): Promise<RunSummary> {
    const tags = await this.db.all<{ tag: string }>('SELECT tag FROM run_tags WHERE run_id=? ORDER BY tag', [r.id]);
    const last = await this.db.all<{ key: string; value: number | null }>(
      `SELECT m.key, m.value FROM metrics m
       JOIN (SELECT key, MAX(step) AS step FROM metrics WHERE run_id=? GROUP BY key) l ON l.key=m.key AND l.step=m.step
       WHERE m.run_id=?`,
      [r.id, r.id],
    );
    const best = await this.db.get<{ metric_key: string | null; metric_value: number | null; epoch: number; untrained: number | null }>(
      `SELECT c.metric_key, c.metric_value, c.epoch,
         (SELECT m.value FROM metrics m WHERE m.run_id=c.run_id AND m.key=c.metric_key AND m.epoch=-1 LIMIT 1) AS untrained
       FROM checkpoints c WHERE c.run_id=? AND c.kind='best'`,
      [r.id],
    );
    return {
      id: r.id,
      name: r.name,
      // Left "running" by a process that is gone (and not yet marked: a full disk refused the write) is interrupted.
      status: (r.status === 'running' || r.status === 'queued') && r.pid && !pidAlive(r.pid) ? 'interrupted' : r.status,
      baselines: await this.baselines(r.id),
      datasetCsv: r.csv_path,
      datasetDigest: r.dataset_digest ?? null,
      datasetRoot: r.dataset_root,
      backend: r.backend,
      createdAt: r.created_at,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      tags: tags.map((t) => t.tag),
      // A value that is not a number (a diverged run's last loss) is left out: the run's error says what happened.
      lastMetrics: Object.fromEntries(last.flatMap((m) => (m.value !== null && Number.isFinite(m.value) ? [[m.key, m.value]] : []))),
      best:
        best?.metric_key != null && best.metric_value != null
          ? { key: best.metric_key, value: best.metric_value, epoch: best.epoch, untrained: best.untrained }
          : null,
    };
  }

  /** Where the run writes (checkpoints, log) and the folder its config's relative paths start from. */
  async setOutDir(runId: number, outDir: string, baseDir: string): Promise<void> {
    await this.db.run('UPDATE runs SET out_dir=?, base_dir=? WHERE id=?', [this.stored(outDir), this.stored(baseDir), runId]);
  }

  async baseDir(runId: number): Promise<string | null> {
    const dir = (await this.db.get<{ base_dir: string | null }>('SELECT base_dir FROM runs WHERE id=?', [runId]))?.base_dir ?? null;
    return dir === null ? null : this.resolved(dir);
  }

  async outDir(runId: number): Promise<string | null> {
    const dir = (await this.db.get<{ out_dir: string | null }>('SELECT out_dir FROM runs WHERE id=?', [runId]))?.out_dir ?? null;
    return dir === null ? null : this.resolved(dir);
  }

  /** One row per (run, kind): a newer best or last replaces the older one. */
  async recordCheckpoint(
    runId: number,
    c: { kind: 'best' | 'last'; path: string; epoch: number; metricKey: string | null; metricValue: number | null },
  ): Promise<void> {
    await this.db.transaction(async () => {
      await this.db.run('DELETE FROM checkpoints WHERE run_id=? AND kind=?', [runId, c.kind]);
      await this.db.run(
        'INSERT INTO checkpoints (run_id, path, epoch, metric_key, metric_value, kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [runId, this.stored(c.path), c.epoch, c.metricKey, c.metricValue, c.kind, new Date().toISOString()],
      );
    });
  }

  async checkpoints(
    runId: number,
  ): Promise<{ kind: string; path: string; epoch: number; metric_key: string | null; metric_value: number | null }[]> {
    const rows = await this.db.all<{ kind: string; path: string; epoch: number; metric_key: string | null; metric_value: number | null }>(
      'SELECT kind, path, epoch, metric_key, metric_value FROM checkpoints WHERE run_id=? ORDER BY kind',
      [runId],
    );
    return rows.map((r) => ({ ...r, path: this.resolved(r.path) }));
  }

  /**
   * Adds the points of a run's journal that the store lacks (by key, step and epoch): the ones a supervisor killed
   * mid-run held only in memory. Never removes a row, so a run journalled only since an upgrade keeps its older points.
   */
  async mergeJournal(runId: number, rows: readonly { step: number; epoch: number; key: string; value: number }[]): Promise<number> {
    const have = new Set(
      (await this.db.all<{ key: string; step: number; epoch: number }>('SELECT key, step, epoch FROM metrics WHERE run_id=?', [runId])).map(
        (r) => `${r.key}\u0000${r.step}\u0000${r.epoch}`,
      ),
    );
    const missing = rows.filter((r) => !have.has(`${r.key}\u0000${r.step}\u0000${r.epoch}`));
    await this.logMetrics(runId, missing);
    return missing.length;
  }

  /** Drops what a run logged after `epoch`/`step` (a resumed run logs that part again). */
  async forgetMetricsAfter(runId: number, epoch: number, step: number): Promise<void> {
    await this.db.run('DELETE FROM metrics WHERE run_id=? AND (step > ? OR epoch > ?)', [runId, step, epoch]);
  }

  /**
   * Series for charts: key → [step, epoch, value] in step order (optionally only some keys). A value that is not a
   * finite number (NaN, ±Infinity: a diverging run) comes as null — JSON has no such numbers, and a chart leaves a gap.
   */
  async metricSeries(runId: number, keys?: string[]): Promise<Record<string, [number, number, number | null][]>> {
    const filter = keys?.length ? `AND key IN (${keys.map(() => '?').join(',')})` : '';
    const rows = await this.db.all<{ key: string; step: number; epoch: number; value: number | null }>(
      `SELECT key, step, epoch, value FROM metrics WHERE run_id=? ${filter} ORDER BY key, step, rowid`,
      [runId, ...(keys ?? [])],
    );
    const out: Record<string, [number, number, number | null][]> = {};
    for (const r of rows) (out[r.key] ??= []).push([r.step, r.epoch, r.value !== null && Number.isFinite(r.value) ? r.value : null]);
    return out;
  }

  async update(runId: number, fields: { name?: string; notes?: string; tags?: string[] }): Promise<void> {
    await this.db.transaction(async () => {
      if (fields.name !== undefined) await this.db.run('UPDATE runs SET name=? WHERE id=?', [fields.name, runId]);
      if (fields.notes !== undefined) await this.db.run('UPDATE runs SET notes=? WHERE id=?', [fields.notes, runId]);
      if (fields.tags !== undefined) {
        await this.db.run('DELETE FROM run_tags WHERE run_id=?', [runId]);
        for (const tag of new Set(fields.tags)) await this.db.run('INSERT INTO run_tags (run_id, tag) VALUES (?, ?)', [runId, tag]);
      }
    });
  }

  /** Removes the run and its rows (metrics, checkpoints, tags cascade); returns its output folder for the caller to delete. */
  /**
   * Deletes a run that no live process is training (checked and deleted under one write lock, so a resume claiming
   * it in another process cannot slip between); throws RunBusyError otherwise.
   */
  async deleteRun(runId: number): Promise<string | null> {
    const dir = await this.outDir(runId);
    await this.db.transaction(async () => {
      const pid = await this.livePid(runId);
      if (pid !== null) throw new RunBusyError(runId, pid);
      await this.db.run('DELETE FROM runs WHERE id=?', [runId]);
    });
    return dir;
  }

  /** Runs trained on a dataset that have a best checkpoint, best metric first. */
  /** A baseline a run measured before its first step (a resumed run keeps the first). */
  async saveBaseline(runId: number, b: Baseline): Promise<void> {
    await this.db.run('INSERT OR IGNORE INTO run_baselines (run_id, name, label, metrics_json, seconds) VALUES (?, ?, ?, ?, ?)', [
      runId,
      b.name,
      b.label,
      JSON.stringify(b.metrics),
      b.seconds,
    ]);
  }

  async baselines(runId: number): Promise<Baseline[]> {
    const rows = await this.db.all<{ name: string; label: string; metrics_json: string; seconds: number }>(
      'SELECT name, label, metrics_json, seconds FROM run_baselines WHERE run_id=? ORDER BY rowid',
      [runId],
    );
    return rows.map((r) => ({ name: r.name, label: r.label, metrics: JSON.parse(r.metrics_json), seconds: r.seconds }));
  }

  /** A dataset's leaderboard entry for a model, while its fingerprint (the CSV's and the model's) still matches. */
  async leaderboardEntry(csvPath: string, modelKey: string, fingerprint: string): Promise<LeaderboardEntry | null> {
    const r = await this.db.get<{ label: string; metrics_json: string; seconds: number | null; created_at: string }>(
      'SELECT label, metrics_json, seconds, created_at FROM leaderboard WHERE csv_path=? AND model_key=? AND fingerprint=?',
      [csvPath, modelKey, fingerprint],
    );
    return r ? { label: r.label, metrics: JSON.parse(r.metrics_json), seconds: r.seconds, createdAt: r.created_at } : null;
  }

  async saveLeaderboardEntry(
    csvPath: string,
    modelKey: string,
    fingerprint: string,
    e: Omit<LeaderboardEntry, 'createdAt'>,
  ): Promise<void> {
    await this.db.run(
      `INSERT INTO leaderboard (csv_path, model_key, fingerprint, label, metrics_json, seconds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (csv_path, model_key) DO UPDATE SET fingerprint=excluded.fingerprint, label=excluded.label,
         metrics_json=excluded.metrics_json, seconds=excluded.seconds, created_at=excluded.created_at`,
      [csvPath, modelKey, fingerprint, e.label, JSON.stringify(e.metrics), e.seconds, new Date().toISOString()],
    );
  }

  async bestCheckpointsFor(
    csvPath: string,
  ): Promise<{ runId: number; name: string; checkpoint: string; metricKey: string | null; metricValue: number | null }[]> {
    const rows = await this.db.all<{
      runId: number;
      name: string;
      checkpoint: string;
      metricKey: string | null;
      metricValue: number | null;
    }>(
      `SELECT r.id AS runId, r.name AS name, c.path AS checkpoint, c.metric_key AS metricKey, c.metric_value AS metricValue
       FROM runs r JOIN datasets d ON d.id = r.dataset_id JOIN checkpoints c ON c.run_id = r.id AND c.kind = 'best'
       WHERE d.csv_path = ? ORDER BY c.metric_value DESC, r.id DESC`,
      [csvPath],
    );
    return rows.map((r) => ({ ...r, checkpoint: this.resolved(r.checkpoint) }));
  }

  async addTag(runId: number, tag: string): Promise<void> {
    await this.db.run('INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?, ?)', [runId, tag]);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
