import { z } from 'zod';

export const ColumnMappingSchema = z.object({
  path: z.string().min(1),
  label: z.string().min(1),
  category: z.string().optional(),
  sequence: z.string().optional(),
  split: z.string().optional(),
  isQuery: z.string().optional(),
  isGallery: z.string().optional(),
  bbox: z.object({ format: z.enum(['x1y1x2y2', 'xywh']), columns: z.tuple([z.string(), z.string(), z.string(), z.string()]) }).optional(),
});

export const SplitOptionsSchema = z.object({
  valFraction: z.number().min(0).max(1).default(0.5),
  valLabels: z.number().int().min(0).optional(),
  seed: z.number().int().default(0),
  keepSplit: z.boolean().default(false),
  queryFraction: z.number().gt(0).lt(1).nullable().default(null),
  keepSingle: z.boolean().default(false),
  /** A validation label with one image has nothing to find as a query: keep it as a gallery-only distractor. */
  loneAsGallery: z.boolean().default(true),
  dropDuplicates: z.boolean().default(true),
  /**
   * One picture (byte-identical or near-identical) under two labels: which label is right is the user's call, so
   * every copy is dropped and listed (false: each copy stays under its own label, listed too).
   */
  dropConflicts: z.boolean().default(true),
  minSize: z.number().int().min(0).default(16),
  dropTiny: z.boolean().default(false),
});
export type SplitOptionsInput = z.input<typeof SplitOptionsSchema>;

export const WizardProgress = z.object({
  jobId: z.string(),
  phase: z.enum(['listing', 'checking', 'writing']),
  done: z.number().int(),
  total: z.number().int(),
});

export const WizardPreview = z.object({
  kind: z.enum(['folder', 'table', 'oml']),
  root: z.string(),
  items: z.number().int(),
  rows: z.number().int(),
  dropped: z.number().int(),
  labels: z.number().int(),
  categories: z.array(z.string()),
  train: z.object({ rows: z.number().int(), labels: z.number().int() }),
  validation: z.object({ rows: z.number().int(), labels: z.number().int(), queries: z.number().int(), galleries: z.number().int() }),
  /** [instances, how many labels have that many] */
  instancesPerLabel: z.array(z.tuple([z.number().int(), z.number().int()])),
  /** A few images of some labels, for the thumbnail grid. */
  examples: z.array(z.object({ label: z.number().int(), name: z.string(), split: z.string(), paths: z.array(z.string()) })),
  problems: z.array(
    z.object({
      severity: z.enum(['error', 'warning']),
      code: z.string(),
      path: z.string().nullable(),
      message: z.string(),
      fix: z.string().optional(),
    }),
  ),
  problemCount: z.number().int(),
  /** Every problem kind with its count (problems lists at most a sample of each). */
  problemCounts: z.array(z.object({ code: z.string(), count: z.number().int() })),
  /** The source's labels: how many it had, how many the dataset keeps, and what took the others. */
  labelAccount: z.object({
    found: z.number().int(),
    kept: z.number().int(),
    lost: z.array(z.object({ code: z.string(), labels: z.number().int() })),
  }),
});
export type WizardPreview = z.infer<typeof WizardPreview>;
