import sqlite3 from 'sqlite3';

export type SqlParams = Record<string, unknown> | unknown[];

/** A promise face over sqlite3's callback API; one connection, statements serialised by sqlite3 itself. */
export class Sqlite {
  /** Transactions on one connection must not interleave: each waits for the previous one to end. */
  private txTail: Promise<unknown> = Promise.resolve();
  private constructor(private readonly db: sqlite3.Database) {}

  /**
   * Waits up to `busyMs` for another process's lock, set before any statement (journal_mode included) runs.
   * `readOnly`: a database on a read-only folder, opened immutable (SQLite can then take no lock and keep no -shm
   * file there); every write fails with SQLITE_READONLY.
   */
  static open(file: string, busyMs = 5000, readOnly = false): Promise<Sqlite> {
    return new Promise((resolve, reject) => {
      const name = readOnly ? `file:${encodeURI(file)}?immutable=1` : file;
      const mode = readOnly
        ? sqlite3.OPEN_READONLY | sqlite3.OPEN_URI
        : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_FULLMUTEX;
      const db = new sqlite3.Database(name, mode, (err) => {
        if (err) return reject(err);
        db.configure('busyTimeout', busyMs);
        resolve(new Sqlite(db));
      });
    });
  }

  run(sql: string, params: SqlParams = []): Promise<{ lastID: number; changes: number }> {
    return retryBusy(
      () =>
        new Promise((resolve, reject) => {
          this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
            if (err) reject(err);
            else resolve({ lastID: this.lastID, changes: this.changes });
          });
        }),
    );
  }

  get<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.db.get(sql, params, (err: Error | null, row: T | undefined) => (err ? reject(err) : resolve(row)));
    });
  }

  all<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.db.all(sql, params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
    });
  }

  exec(sql: string): Promise<void> {
    return retryBusy(() => new Promise<void>((resolve, reject) => this.db.exec(sql, (err) => (err ? reject(err) : resolve()))));
  }

  /** BEGIN IMMEDIATE … COMMIT, rolled back on any error: a batch of writes lands whole or not at all. */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    const run = async () => {
      await this.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn();
        await this.exec('COMMIT');
        return result;
      } catch (err) {
        await this.exec('ROLLBACK').catch(() => {});
        throw err;
      }
    };
    const result = this.txTail.then(run, run);
    this.txTail = result.catch(() => {});
    return result;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }
}

const isBusy = (e: unknown) => (e as { code?: string } | null)?.code === 'SQLITE_BUSY';

/**
 * SQLite gives up waiting for a lock with SQLITE_BUSY when the busy handler cannot help (a WAL switch or a
 * deadlock-avoiding read→write upgrade). The statement did not run, so it is tried again after a short, growing pause.
 */
async function retryBusy<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!isBusy(e) || i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 20 * 2 ** i * (0.5 + Math.random())));
    }
  }
}
