import sqlite3 from 'sqlite3';

export type SqlParams = Record<string, unknown> | unknown[];

/** A promise face over sqlite3's callback API; one connection, statements serialised by sqlite3 itself. */
export class Sqlite {
  /** Transactions on one connection must not interleave: each waits for the previous one to end. */
  private txTail: Promise<unknown> = Promise.resolve();
  private constructor(private readonly db: sqlite3.Database) {}

  static open(file: string): Promise<Sqlite> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(file, (err) => (err ? reject(err) : resolve(new Sqlite(db))));
    });
  }

  run(sql: string, params: SqlParams = []): Promise<{ lastID: number; changes: number }> {
    return new Promise((resolve, reject) => {
      this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ lastID: this.lastID, changes: this.changes });
      });
    });
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
    return new Promise((resolve, reject) => this.db.exec(sql, (err) => (err ? reject(err) : resolve())));
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
