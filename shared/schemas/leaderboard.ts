import { z } from 'zod';

/** One model on a dataset's leaderboard: its metrics on the dataset's validation rows. */
export const LeaderboardRow = z.object({
  kind: z.enum(['raw-pixels', 'zoo', 'run']),
  label: z.string(),
  runId: z.number().int().nullable(),
  zoo: z.string().nullable(),
  checkpoint: z.string().nullable(),
  cmc1: z.number(),
  p5: z.number(),
  map10: z.number(),
  /** Wall time to get there: a run's training, a frozen model's embedding of the rows; null when unknown. */
  seconds: z.number().nullable(),
  /** Read from the store (computed before, its CSV and model unchanged). */
  cached: z.boolean(),
});
export type LeaderboardRow = z.infer<typeof LeaderboardRow>;
