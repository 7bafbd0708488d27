import { z } from 'zod';

/** OML's dataset CSV columns, in the order OML writes them (oml/const.py). */
export const REQUIRED_COLUMNS = ['label', 'path', 'split', 'is_query', 'is_gallery'] as const;
export const BBOX_COLUMNS = ['x_1', 'x_2', 'y_1', 'y_2'] as const;
export const SPLITS = ['train', 'validation'] as const;

export const Severity = z.enum(['error', 'warning']);
export type Severity = z.infer<typeof Severity>;

/**
 * One thing wrong with a dataset. `row` is the spreadsheet row (the header is row 1, the first data
 * row is row 2) so a user can jump to it in any editor; null when the problem is about the whole file.
 */
export const DatasetProblem = z.object({
  severity: Severity,
  code: z.string(),
  row: z.number().int().nullable(),
  column: z.string().nullable(),
  message: z.string(),
});
export type DatasetProblem = z.infer<typeof DatasetProblem>;

export const SplitSummary = z.object({
  rows: z.number().int(),
  labels: z.number().int(),
  queries: z.number().int(),
  galleries: z.number().int(),
});

export const DatasetSummary = z.object({
  rows: z.number().int(),
  labels: z.number().int(),
  categories: z.array(z.string()),
  columns: z.array(z.string()),
  hasBboxes: z.boolean(),
  hasSequence: z.boolean(),
  train: SplitSummary,
  validation: SplitSummary,
  /** Histogram of instances per label: `[instances, number of labels with that many]`, ascending. */
  instancesPerLabel: z.array(z.tuple([z.number().int(), z.number().int()])),
});
export type DatasetSummary = z.infer<typeof DatasetSummary>;

export const DatasetReport = z.object({
  file: z.string(),
  root: z.string(),
  ok: z.boolean(),
  errors: z.number().int(),
  warnings: z.number().int(),
  summary: DatasetSummary,
  /** The first problems found (capped so a broken 1M-row file cannot flood the UI); counts above are exact. */
  problems: z.array(DatasetProblem),
});
export type DatasetReport = z.infer<typeof DatasetReport>;

export const DatasetRow = z.object({
  row: z.number().int(),
  label: z.number().int(),
  /** The label's name where the dataset has names (the wizard keeps them in `<csv>.summary.json`; OML's CSV has ids only). */
  labelName: z.string().nullable(),
  path: z.string(),
  split: z.enum(SPLITS),
  isQuery: z.boolean().nullable(),
  isGallery: z.boolean().nullable(),
  category: z.string().nullable(),
});
export type DatasetRow = z.infer<typeof DatasetRow>;

export const SampleDataset = z.object({
  id: z.string(),
  name: z.string(),
  csvPath: z.string(),
  root: z.string(),
  description: z.string(),
});
export type SampleDataset = z.infer<typeof SampleDataset>;
