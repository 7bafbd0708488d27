import path from 'node:path';
import { formatSeconds } from '../../../shared/format';
import type { LeaderboardRow } from '../../../shared/schemas/leaderboard';
import { defaultDataDir } from '../../paths';
import { EmbeddingSets } from '../../services/embedding-sets';
import { EmbeddingJobError } from '../../services/embedding';
import { leaderboard } from '../../services/leaderboard';
import { ZooService } from '../../services/zoo';
import { RunStore } from '../../store/runs';
import { type Command, UsageError, out, parse } from '../args';
import { checkedDataset } from '../datasets';
import { progressLine, withWorkerJobs } from '../progress';

const usage = 'metric-studio leaderboard --dataset df.csv [--root DIR] [--data-dir DIR] [--json]';

/** The table as printed: best first, the models that need no training marked, and who loses to them. */
export function leaderboardLines(rows: LeaderboardRow[]): string[] {
  const w = Math.max(5, ...rows.map((r) => r.label.length));
  const lines = [`${'model'.padEnd(w)}  ${'CMC@1'.padStart(6)}  ${'P@5'.padStart(6)}  ${'mAP@10'.padStart(6)}  time`];
  for (const r of rows)
    lines.push(
      `${r.label.padEnd(w)}  ${r.cmc1.toFixed(4).padStart(6)}  ${r.p5.toFixed(4).padStart(6)}  ${r.map10.toFixed(4).padStart(6)}  ${r.seconds === null ? '—' : formatSeconds(r.seconds)}`,
    );
  const baseline = rows.find((r) => r.kind !== 'run');
  const losers = rows.filter((r) => r.kind === 'run' && baseline && r.cmc1 <= baseline.cmc1);
  for (const r of losers)
    lines.push(`warning: ${r.label} does not beat ${baseline!.label} (CMC@1 ${r.cmc1.toFixed(4)} against ${baseline!.cmc1.toFixed(4)})`);
  return lines;
}

export const leaderboardCommand: Command = {
  usage,
  async run(argv) {
    const { values } = parse(
      argv,
      { dataset: { type: 'string' }, root: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } },
      usage,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    if (!values.dataset) throw new UsageError(`--dataset is required\nusage: ${usage}`);
    const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir();
    const table = await checkedDataset(values.dataset, values.root);
    const store = await RunStore.open(dataDir);
    const progress = progressLine('leaderboard');
    try {
      const rows = await withWorkerJobs((jobs) =>
        leaderboard(
          { store, jobs, sets: new EmbeddingSets(store, path.join(dataDir, 'embeddings')), zoo: new ZooService(dataDir) },
          table,
          (_label, done, total) => progress.update(done, total),
        ),
      );
      progress.end();
      if (values.json) out(JSON.stringify(rows, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 2));
      else for (const line of leaderboardLines(rows)) out(line);
      return 0;
    } catch (e) {
      throw e instanceof EmbeddingJobError ? new UsageError(e.message, 1) : e;
    } finally {
      progress.end();
      await store.close();
    }
  },
};
