import { z } from 'zod';

/** Rows closer than the threshold, clustered: a leak when they span train and validation, a conflict across labels. */
export const NearDuplicate = z.object({
  /** Spreadsheet rows (header = 1), and each row's path, label and split. */
  rows: z.array(z.number().int()),
  paths: z.array(z.string()),
  labels: z.array(z.number().int()),
  splits: z.array(z.string()),
  /** The largest distance within the cluster's pairs. */
  distance: z.number(),
  cross_split: z.boolean(),
  cross_label: z.boolean(),
});
export type NearDuplicate = z.infer<typeof NearDuplicate>;

/** A dataset's data-quality report (metric-studio quality --json, datasets.quality). */
export const QualityReport = z.object({
  rows: z.number().int(),
  neighbours: z.number().int(),
  dup_threshold: z.number(),
  /** How the threshold was chosen, for people. */
  dup_threshold_rule: z.string(),
  near_duplicates: z.array(NearDuplicate),
  suspected_mislabels: z.array(
    z.object({ row: z.number().int(), path: z.string(), label: z.number().int(), suggested_label: z.number().int(), score: z.number() }),
  ),
  outliers: z.array(z.object({ row: z.number().int(), path: z.string(), label: z.number().int(), score: z.number() })),
  label_overlap: z.array(z.object({ labels: z.tuple([z.number().int(), z.number().int()]), score: z.number() })),
});
export type QualityReport = z.infer<typeof QualityReport>;

export const QualityResult = QualityReport.extend({
  /** Which model's embeddings the report read. */
  model: z.string(),
  /** The folder the rows' paths start from (thumbnails). */
  root: z.string(),
  /** Read back from the data folder (made before, from the same CSV, model and options). */
  cached: z.boolean(),
});
export type QualityResult = z.infer<typeof QualityResult>;

/** A run's validation rows with near duplicates among its training rows: its metrics are inflated. */
export const RunLeaks = z.object({
  /** The CSV could not be read (moved, deleted): nothing was checked. */
  checked: z.boolean(),
  model: z.string(),
  clusters: z.array(NearDuplicate),
  /** Validation rows in those clusters, of all validation rows. */
  leakedRows: z.number().int(),
  validationRows: z.number().int(),
  message: z.string(),
});
export type RunLeaks = z.infer<typeof RunLeaks>;

const Row = z.number().int().min(2);
const Label = z.number().int().min(0);
/** One fix a user makes from the quality report; rows are the file's spreadsheet rows. */
export const DatasetChange = z.discriminatedUnion('action', [
  z.object({ action: z.literal('relabel'), row: Row, label: Label }),
  z.object({ action: z.literal('exclude'), row: Row }),
  /** Every row of label `from` becomes label `into` (two names for one identity). */
  z.object({ action: z.literal('merge'), from: Label, into: Label }),
  /** Of a duplicate cluster, row `keep` stays and the others go. */
  z.object({ action: z.literal('keep'), rows: z.array(Row).min(2).max(1000), keep: Row }),
]);
export type DatasetChange = z.infer<typeof DatasetChange>;

/** One version of a dataset: its CSV, the CSV it was made from, and how many rows the change log lists. */
export const DatasetVersion = z.object({
  csvPath: z.string(),
  root: z.string(),
  version: z.number().int(),
  parentCsv: z.string().nullable(),
  changes: z.number().int().nullable(),
  createdAt: z.string(),
});
export type DatasetVersion = z.infer<typeof DatasetVersion>;
