/**
 * A run's logged points, appended by the worker to `metrics.jsonl` in the run folder as they are emitted — the
 * record that survives the supervisor (a CLI killed with -9 held its last points only in memory). The store is
 * rebuilt from it on resume. A resumed run cuts it back to its checkpoint, as the store cuts its rows.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TrainEvent } from '../../../shared/schemas/events';

export const METRICS_JOURNAL = 'metrics.jsonl';
type Point = Extract<TrainEvent, { type: 'metrics' }>['points'][number];
export interface JournalRow {
  step: number;
  epoch: number;
  key: string;
  /** NaN and ±Infinity as themselves (JSON has no such numbers: written as strings). */
  value: number;
}

const encode = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
const decode = (v: unknown): number =>
  typeof v === 'number' ? v : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number.NaN;

export const journalOf = (outDir: string) => path.join(outDir, METRICS_JOURNAL);

/** One line per point: a line cut short by a kill is the only one that can be torn, and it is the last. */
export function appendPoints(file: string, points: readonly Point[]): void {
  if (points.length === 0) return;
  appendFileSync(file, points.map((p) => `${JSON.stringify({ s: p.step, e: p.epoch, v: p.values }, encode)}\n`).join(''));
}

export function readJournal(file: string): JournalRow[] | null {
  if (!existsSync(file)) return null;
  const rows: JournalRow[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    let p: { s: number; e: number; v: Record<string, unknown> };
    try {
      p = JSON.parse(line);
    } catch {
      continue; // the torn last line of a killed writer
    }
    for (const [key, value] of Object.entries(p.v)) rows.push({ step: p.s, epoch: p.e, key, value: decode(value) });
  }
  return rows;
}

/** Keeps what a resumed run keeps: points at or before the checkpoint's epoch and step (the store's same rule). */
export function cutJournal(file: string, epoch: number, step: number): void {
  if (!existsSync(file)) return;
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => {
      if (!line) return false;
      try {
        const p = JSON.parse(line) as { s: number; e: number };
        return p.s <= step && p.e <= epoch;
      } catch {
        return false;
      }
    });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, kept.map((l) => `${l}\n`).join(''));
  renameSync(tmp, file);
}

/** The events a worker emits, journalled first: a point is on disk before it is on its way to the supervisor. */
export function journalled(outDir: string, emit: (e: TrainEvent) => void): (e: TrainEvent) => void {
  const file = journalOf(outDir);
  return (e) => {
    if (e.type === 'metrics') appendPoints(file, e.points);
    else if (e.type === 'resumed') cutJournal(file, e.epoch, e.step);
    emit(e);
  };
}
