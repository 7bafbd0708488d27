import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkerJobs } from '../services/embedding';

export function bar(done: number, total: number, width = 24): string {
  const n = total ? Math.round((done / total) * width) : 0;
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

/** A redrawn progress line on stderr when it is a terminal; silent otherwise (pipes and logs stay clean). */
export function progressLine(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): { update(done: number, total: number): void; end(): void } {
  const tty = Boolean(stream.isTTY);
  return {
    update: (done, total) => tty && stream.write(`\r  ${label} ${bar(done, total)} ${done}/${total}   `),
    end: () => tty && stream.write('\r\x1b[2K'),
  };
}

/** Worker jobs for one command: embedding files go to a private temporary folder, removed afterwards. */
export async function withWorkerJobs<T>(fn: (jobs: WorkerJobs) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'metric-studio-'));
  const jobs = new WorkerJobs(dir);
  try {
    return await fn(jobs);
  } finally {
    jobs.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}
