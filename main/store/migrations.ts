import type { Sqlite } from './sqlite';

/**
 * Schema versions, applied in order at start-up; `PRAGMA user_version` records the last one applied.
 * Never edit a released migration: add the next one (tests upgrade from every earlier version).
 */
export const MIGRATIONS: readonly string[] = [
  // v1: datasets, runs, long-format metrics, checkpoints, tags, embedding sets.
  `
  CREATE TABLE datasets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    csv_path TEXT NOT NULL,
    root TEXT NOT NULL,
    fingerprint TEXT,
    summary_json TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (csv_path, root)
  );
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued','running','finished','failed','interrupted','stopped')),
    dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
    config_yaml TEXT NOT NULL DEFAULT '',
    config_json TEXT NOT NULL DEFAULT '{}',
    backend TEXT,
    out_dir TEXT,
    pid INTEGER,
    created_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    error TEXT,
    notes TEXT NOT NULL DEFAULT '',
    parent_run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL
  );
  CREATE INDEX runs_status ON runs(status);
  CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    key TEXT NOT NULL,
    value REAL NOT NULL,
    time REAL NOT NULL
  );
  CREATE INDEX metrics_run_key_step ON metrics(run_id, key, step);
  CREATE TABLE checkpoints (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    metric_key TEXT,
    metric_value REAL,
    kind TEXT NOT NULL CHECK (kind IN ('best','last')),
    created_at TEXT NOT NULL
  );
  CREATE TABLE run_tags (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
  );
  CREATE TABLE embedding_sets (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    checkpoint_id INTEGER REFERENCES checkpoints(id) ON DELETE SET NULL,
    dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
    path TEXT NOT NULL,
    dim INTEGER NOT NULL,
    count INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
  // v2: the folder a run's config paths are relative to (needed to resume it).
  `ALTER TABLE runs ADD COLUMN base_dir TEXT;`,
  // v3: stored embeddings are found by (dataset file, model) and valid while their fingerprint matches.
  `
  ALTER TABLE embedding_sets ADD COLUMN csv_path TEXT;
  ALTER TABLE embedding_sets ADD COLUMN model_key TEXT;
  ALTER TABLE embedding_sets ADD COLUMN fingerprint TEXT;
  CREATE UNIQUE INDEX embedding_sets_place ON embedding_sets(csv_path, model_key);
  `,
  // v4: when a dataset was last opened, inspected or trained on: the recent datasets of the File menu and Datasets page.
  `ALTER TABLE datasets ADD COLUMN opened_at TEXT;`,
  // v5: what a run is measured against (raw pixels, its zoo model frozen), and a dataset's leaderboard: each model's
  // metrics on its validation rows, valid while the (CSV, model) fingerprint matches.
  `
  CREATE TABLE run_baselines (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    metrics_json TEXT NOT NULL,
    seconds REAL NOT NULL,
    PRIMARY KEY (run_id, name)
  );
  CREATE TABLE leaderboard (
    csv_path TEXT NOT NULL,
    model_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    label TEXT NOT NULL,
    metrics_json TEXT NOT NULL,
    seconds REAL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (csv_path, model_key)
  );
  `,
  // v6: dataset versions (fixes written beside the original: df.v2.csv links to df.csv) and the digest of the exact CSV
  // a run trained on.
  `
  ALTER TABLE datasets ADD COLUMN parent_csv TEXT;
  ALTER TABLE datasets ADD COLUMN version INTEGER;
  ALTER TABLE datasets ADD COLUMN changes INTEGER;
  ALTER TABLE runs ADD COLUMN dataset_digest TEXT;
  `,
  // v7: a metric's value may be NULL — not a number (a diverging run logs NaN; ±Infinity is stored as such). Before,
  // one NaN failed NOT NULL and lost its whole batch of points.
  `
  CREATE TABLE metrics_v7 (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    key TEXT NOT NULL,
    value REAL,
    time REAL NOT NULL
  );
  INSERT INTO metrics_v7 (run_id, step, epoch, key, value, time) SELECT run_id, step, epoch, key, value, time FROM metrics ORDER BY rowid;
  DROP TABLE metrics;
  ALTER TABLE metrics_v7 RENAME TO metrics;
  CREATE INDEX metrics_run_key_step ON metrics(run_id, key, step);
  `,
  // v8: the config is stored once, as the YAML the run was given (config_yaml): its JSON copy had no reader.
  `
  ALTER TABLE runs DROP COLUMN config_json;
  `,
];

export async function migrate(db: Sqlite, migrations: readonly string[] = MIGRATIONS): Promise<number> {
  const row = await db.get<{ user_version: number }>('PRAGMA user_version');
  const current = row?.user_version ?? 0;
  if (current > migrations.length) {
    throw new Error(`The run database is schema v${current}, newer than this Metric Studio (v${migrations.length}). Update the app.`);
  }
  for (let v = current; v < migrations.length; v++) {
    await db.transaction(async () => {
      // Another process may have applied it while this one waited for the write lock: read again under the lock.
      if (((await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0) > v) return;
      await db.exec(migrations[v]!);
      await db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
  return migrations.length;
}
