import { isMap, parseDocument } from 'yaml';
import type { TrainConfigInput } from '../../shared/schemas/config';
import { argKeys, type FieldInfo, fieldInfo, isUnionName } from '../../shared/schemas/config-fields';

type Cfg = Partial<TrainConfigInput> & Record<string, unknown>;

export interface FormField {
  path: string[];
  label: string;
  group: string;
  /** Shown only when the config is of this kind (a category sampler's n_categories, a triplet loss's margin). */
  showIf?: (cfg: Cfg) => boolean;
}

const criterion = (name: string) => (c: Cfg) => (c.criterion as { name?: string } | undefined)?.name === name;
const categorySampler = (c: Cfg) =>
  ['category_balance', 'distinct_category_balance'].includes(String((c.sampler as { name?: string })?.name));

/**
 * The form's fields, in the order a practitioner sets them. What each field is (its choices, bounds, whether it may be
 * empty) comes from the config schema through `fieldInfo`, so the form and the YAML check agree.
 */
export const FORM_FIELDS: FormField[] = [
  { group: 'Data', path: ['dataset'], label: 'Dataset CSV' },
  { group: 'Data', path: ['image_size'], label: 'Image size (px)' },
  { group: 'Data', path: ['channels'], label: 'Channels' },
  { group: 'Model', path: ['extractor', 'name'], label: 'Backbone' },
  {
    group: 'Model',
    path: ['extractor', 'args', 'model'],
    label: 'Zoo model',
    showIf: (c) => (c.extractor as { name?: string })?.name === 'zoo',
  },
  { group: 'Model', path: ['extractor', 'args', 'emb_dim'], label: 'Embedding size' },
  { group: 'Sampler', path: ['sampler', 'name'], label: 'Sampler' },
  { group: 'Sampler', path: ['sampler', 'args', 'n_categories'], label: 'Categories per batch', showIf: categorySampler },
  { group: 'Sampler', path: ['sampler', 'args', 'n_labels'], label: 'Labels per batch' },
  { group: 'Sampler', path: ['sampler', 'args', 'n_instances'], label: 'Images per label' },
  { group: 'Loss', path: ['criterion', 'name'], label: 'Loss' },
  { group: 'Loss', path: ['criterion', 'args', 'margin'], label: 'Margin (empty: soft margin)', showIf: criterion('triplet_with_miner') },
  { group: 'Loss', path: ['criterion', 'args', 'miner', 'name'], label: 'Miner', showIf: criterion('triplet_with_miner') },
  { group: 'Loss', path: ['criterion', 'args', 'm'], label: 'Angular margin m', showIf: criterion('arcface') },
  { group: 'Loss', path: ['criterion', 'args', 's'], label: 'Scale s', showIf: criterion('arcface') },
  { group: 'Optimizer', path: ['optimizer', 'name'], label: 'Optimizer' },
  { group: 'Optimizer', path: ['optimizer', 'args', 'lr'], label: 'Learning rate' },
  { group: 'Optimizer', path: ['optimizer', 'args', 'weight_decay'], label: 'Weight decay' },
  { group: 'Optimizer', path: ['scheduling', 'scheduler', 'name'], label: 'LR scheduler' },
  { group: 'Schedule', path: ['max_epochs'], label: 'Epochs' },
  { group: 'Schedule', path: ['steps_per_epoch'], label: 'Steps per epoch (empty: the sampler’s)' },
  { group: 'Schedule', path: ['valid_period'], label: 'Validate every N epochs' },
  { group: 'Schedule', path: ['metric_for_checkpointing'], label: 'Checkpoint metric' },
  { group: 'Schedule', path: ['mode_for_checkpointing'], label: 'Better is' },
  { group: 'Engine', path: ['backend'], label: 'Backend' },
  { group: 'Engine', path: ['threads'], label: 'Threads (auto or a count)' },
];

/** Lines are never re-folded: a user's one-line flow maps stay one line. */
const KEEP_LINES = { lineWidth: 0 } as const;

/** The scheduler block is optional as a whole: "none" in the form is `scheduling: null`. */
export const NO_SCHEDULER = 'none';
const isSchedulerName = (path: readonly string[]) => path.join('.') === 'scheduling.scheduler.name';

/** The config the YAML holds, or null when it does not parse to a mapping (the form waits for the YAML to be fixed). */
export function readConfig(yaml: string): Cfg | null {
  const doc = parseDocument(yaml);
  if (doc.errors.length || !isMap(doc.contents)) return null;
  return doc.toJS() as Cfg;
}

export function valueAt(cfg: Cfg, path: readonly string[]): unknown {
  let v: unknown = cfg;
  for (const k of path) v = (v as Record<string, unknown> | null | undefined)?.[k];
  return v;
}

/** A field's schema facts; the scheduler's name also offers "none". */
export function infoOf(path: readonly string[], cfg: Cfg): FieldInfo | null {
  const info = fieldInfo(path, cfg);
  if (info?.kind === 'choice' && isSchedulerName(path)) return { ...info, options: [NO_SCHEDULER, ...info.options] };
  return info;
}

/** What the input's text means for this field: numbers as numbers, empty as null (or absent), "auto" kept. */
export function coerce(info: FieldInfo | null, text: string): unknown {
  const t = text.trim();
  if (info?.kind === 'number') return t === '' ? null : Number(t);
  if (info?.kind === 'boolean') return t === 'true';
  if (info?.kind === 'choice') return info.options.find((o) => String(o) === t) ?? t;
  if (info?.kind === 'text' && info.nullable && t === '') return null;
  return /^\d+$/.test(t) ? Number(t) : t;
}

/**
 * The YAML with one field set, comments and key order kept (the form and the YAML tab edit the same document).
 * Changing a `{name, args}` block's name keeps only the args the new kind accepts; the scheduler's "none" removes
 * the block, and picking one creates it.
 */
export function setField(yaml: string, path: readonly string[], value: unknown): string {
  const doc = parseDocument(yaml);
  const cfg = doc.toJS() as Cfg;
  if (isSchedulerName(path)) {
    if (value === NO_SCHEDULER) doc.set('scheduling', null);
    else if (!valueAt(cfg, ['scheduling'])) doc.set('scheduling', { scheduler_interval: 'epoch', scheduler: { name: value, args: {} } });
    else doc.setIn([...path], value);
    return doc.toString(KEEP_LINES);
  }
  if (isUnionName(path, cfg)) {
    const block = path.slice(0, -1);
    const old = (valueAt(cfg, [...block, 'args']) ?? {}) as Record<string, unknown>;
    const keep = new Set(argKeys(block, String(value), cfg));
    doc.setIn([...path], value);
    doc.setIn([...block, 'args'], Object.fromEntries(Object.entries(old).filter(([k]) => keep.has(k))));
    return doc.toString(KEEP_LINES);
  }
  if (value === null && fieldInfo(path, cfg)?.kind === 'number' && !(fieldInfo(path, cfg) as { nullable: boolean }).nullable)
    doc.deleteIn([...path]);
  else doc.setIn([...path], value);
  return doc.toString(KEEP_LINES);
}
