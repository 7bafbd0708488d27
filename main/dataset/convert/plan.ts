import { SplitOptionsSchema } from '../../../shared/schemas/wizard';
import { mulberry32, shuffled } from '../../random';
import { Clusters } from '../../quality/clusters';
import { nearIdenticalGroups } from '../../quality/near-identical';
import { type ConvertProblem, type ImageFacts, originText, type SourceItem } from './types';

export interface SplitOptions {
  /** Share of labels held out for validation (label-disjoint), unless `valLabels` is given. */
  valFraction: number;
  valLabels?: number;
  seed: number;
  /** Use the source's own split column (and query/gallery flags) instead of making one. */
  keepSplit: boolean;
  /** null: every validation item is query and gallery (1-vs-rest); else this share of each label's items are queries. */
  queryFraction: number | null;
  /** Keep train labels that have a single instance (samplers cannot use them) instead of dropping them. */
  keepSingle: boolean;
  /** A validation label with a single image becomes gallery-only (a distractor) instead of a query with nothing to find. */
  loneAsGallery: boolean;
  /** One picture under two labels (byte- or near-identical): drop every copy (else each stays under its label). */
  dropConflicts: boolean;
  /** Drop every copy but the first of byte-identical files. */
  dropDuplicates: boolean;
  /** Images smaller than this on either side are reported (and dropped with `dropTiny`). */
  minSize: number;
  dropTiny: boolean;
}

/** The defaults are the contract's (shared/schemas/wizard.ts), so the CLI, the API and the wizard agree. */
export const DEFAULT_SPLIT: SplitOptions = SplitOptionsSchema.parse({});

export interface PlannedRow {
  label: number;
  path: string;
  split: 'train' | 'validation';
  isQuery: boolean | null;
  isGallery: boolean | null;
  category: string | null;
  sequence: string | null;
  bbox: [number, number, number, number] | null;
}

/** null, false, true as stored. */
const FLAG_NULL = 2;
const flagOf = (v: number) => (v === FLAG_NULL ? null : v === 1);

/**
 * The plan's rows, in file order, as columns over the source's items: a million row objects, made and kept until
 * the file was written, cost ~0.45 s of a 1M-row conversion (allocation and the collector copying them). `at`
 * makes a row's object when one is asked for; such short-lived objects cost little.
 */
export class PlannedRows implements Iterable<PlannedRow> {
  length = 0;
  private readonly item: Int32Array;
  private readonly label: Float64Array;
  /** 0 train, 1 validation. */
  private readonly split: Uint8Array;
  private readonly isQuery: Uint8Array;
  private readonly isGallery: Uint8Array;

  constructor(private readonly items: readonly SourceItem[]) {
    const n = items.length;
    this.item = new Int32Array(n);
    this.label = new Float64Array(n);
    this.split = new Uint8Array(n);
    this.isQuery = new Uint8Array(n);
    this.isGallery = new Uint8Array(n);
  }

  /** Adds items[i] as a row (an item is written at most once, so the columns never outgrow the items). */
  push(i: number, label: number, split: PlannedRow['split'], isQuery: boolean | null, isGallery: boolean | null): void {
    const k = this.length++;
    this.item[k] = i;
    this.label[k] = label;
    this.split[k] = split === 'train' ? 0 : 1;
    this.isQuery[k] = isQuery === null ? FLAG_NULL : Number(isQuery);
    this.isGallery[k] = isGallery === null ? FLAG_NULL : Number(isGallery);
  }

  /** Row k's source item: where its path, category, sequence and box come from. */
  itemOf(k: number): SourceItem {
    return this.items[this.item[k]!]!;
  }

  at(k: number): PlannedRow {
    const it = this.itemOf(k);
    return {
      label: this.label[k]!,
      path: it.path,
      split: this.split[k] === 0 ? 'train' : 'validation',
      isQuery: flagOf(this.isQuery[k]!),
      isGallery: flagOf(this.isGallery[k]!),
      category: it.category,
      sequence: it.sequence,
      bbox: it.bbox,
    };
  }

  *[Symbol.iterator](): Iterator<PlannedRow> {
    for (let k = 0; k < this.length; k++) yield this.at(k);
  }
}

export interface Plan {
  rows: PlannedRows;
  /** Integer label → the source's name for it. */
  labelNames: Record<number, string>;
  problems: ConvertProblem[];
  dropped: number;
}

/** A name that is an integer written one way only ("7", "-3"; not "07", "+7" or "7.0"), small enough for a double. */
const isPlainInteger = (n: string) => /^-?(0|[1-9]\d*)$/.test(n) && n !== '-0' && Number.isSafeInteger(Number(n));

/** Name order with numbers by value ("img2" before "img10"). One collator: localeCompare with options builds one per call. */
const NAME_ORDER = new Intl.Collator('en', { numeric: true });

/**
 * OML labels are integers: when every name is a plain integer the labels keep their values; otherwise every label
 * gets an id in name order (two names like "01" and "1" must never become one label). `renumbered` names the first
 * name that forced it, so the user hears why their ids changed.
 */
export function labelIds(names: string[]): { ids: Map<string, number>; renumbered: string | null } {
  // Numeric name order; names equal as numbers ("01", "1") by their characters, so input order never decides.
  const unique = [...new Set(names)].sort((a, b) => NAME_ORDER.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0));
  const odd = unique.find((n) => !isPlainInteger(n));
  if (odd === undefined) return { ids: new Map(unique.map((n) => [n, Number(n)])), renumbered: null };
  return { ids: new Map(unique.map((n, i) => [n, i])), renumbered: unique.some(isPlainInteger) ? odd : null };
}

/**
 * Labels of the source that no written row carries: every image of theirs was dropped (unreadable, a duplicate
 * of another label's image, tiny, a lone image). Each file's own problem says why; this says the label is gone.
 * `byName`: the kept items by label name; `keep`: their indices, ascending (the others were dropped before grouping).
 */
function lostLabels(items: SourceItem[], byName: Map<string, number[]>, keep: number[], written: Set<string>): ConvertProblem[] {
  // Per name: its first item (so the labels are listed in source order) and its number of items.
  const seen = new Map<string, { first: number; n: number }>();
  for (const [name, members] of byName) seen.set(name, { first: members[0]!, n: members.length });
  for (let i = 0, k = 0; i < items.length; i++) {
    if (keep[k] === i) {
      k++;
      continue;
    }
    const name = items[i]!.labelName;
    const s = seen.get(name);
    if (s) {
      s.n++;
      s.first = Math.min(s.first, i);
    } else seen.set(name, { first: i, n: 1 });
  }
  return [...seen]
    .filter(([name]) => !written.has(name))
    .sort((a, b) => a[1].first - b[1].first)
    .map(([name, { n }]) => ({
      severity: 'warning' as const,
      code: 'label_lost',
      path: null,
      message: `label "${name}" is not in the dataset: none of its ${n} image(s) could be used (see the problems of its files)`,
    }));
}

/**
 * One picture under two or more labels: byte-identical files (same digest) and near-identical ones (re-encoded or
 * resized; quality/near-identical.ts on the 16×16 thumbnails) whose group spans labels. Item → what it conflicts
 * with, for its message.
 */
export function labelConflicts(items: SourceItem[], facts: ImageFacts[]): Map<number, string> {
  const groups = new Clusters(items.length);
  const inGroup = new Set<number>();
  const byHash = new Map<string, number>();
  facts.forEach((f, i) => {
    if (!f.ok || f.hash === null) return;
    const first = byHash.get(f.hash);
    if (first === undefined) byHash.set(f.hash, i);
    else {
      groups.link(first, i);
      inGroup.add(first).add(i);
    }
  });
  const near = nearIdenticalGroups(facts.map((f) => (f.ok && f.thumb ? f.thumb : null)));
  const nearOf = new Map<number, number>();
  for (const g of near)
    for (const m of g.members) {
      nearOf.set(m, g.distance);
      for (const o of g.members) groups.link(m, o);
      inGroup.add(m);
    }
  const out = new Map<number, string>();
  for (const members of groups.groups(inGroup)) {
    const labels = new Set(members.map((m) => items[m]!.labelName));
    if (labels.size < 2) continue;
    for (const m of members) {
      const others = members.filter((o) => o !== m && items[o]!.labelName !== items[m]!.labelName);
      const same = others.filter((o) => facts[o]!.hash === facts[m]!.hash);
      const shown = others.slice(0, 3).map((o) => `"${items[o]!.path}" (label "${items[o]!.labelName}")`);
      const how =
        same.length === others.length
          ? 'the same file is'
          : `a near-identical image (distance ≤ ${(nearOf.get(m) ?? 0).toFixed(3)} on 16×16 grey pixels) is`;
      out.set(m, `${how} also ${shown.join(', ')}${others.length > 3 ? ` and ${others.length - 3} more` : ''}`);
    }
  }
  return out;
}

/**
 * Turns scanned items into OML rows: drops what cannot be used (unreadable files, duplicates, …) with a problem for
 * each, makes a label-disjoint split (unseen labels at validation, as metric learning evaluates), sets query and
 * gallery flags, and repairs what would break OML's checker.
 */
export function makePlan(items: SourceItem[], facts: ImageFacts[], opts: SplitOptions): Plan {
  const problems: ConvertProblem[] = [];
  const keep: number[] = [];
  // Duplicates within a label: the first copy stays. Across labels they are conflicts, decided below.
  const seenHash = new Map<string, string>();
  const conflicts = labelConflicts(items, facts);
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const f = facts[i]!;
    if (!f.ok) {
      problems.push({
        severity: 'warning',
        code: 'image_unreadable',
        path: it.path,
        message: `${originText(it)}: dropped: not a readable image (${f.error})`,
      });
      continue;
    }
    const conflict = conflicts.get(i);
    if (conflict) {
      problems.push({
        severity: 'warning',
        code: 'label_conflict',
        path: it.path,
        message: `label "${it.labelName}", but ${conflict} — which label is right? ${opts.dropConflicts ? 'Dropped, with every copy' : 'Kept under each label'}`,
        fix: 'drop conflicts',
      });
      if (opts.dropConflicts) continue;
    }
    const hashKey = f.hash === null ? null : `${f.hash}\u0000${it.labelName}`;
    const first = hashKey === null ? undefined : seenHash.get(hashKey);
    if (first !== undefined) {
      problems.push({
        severity: 'warning',
        code: 'duplicate_file',
        path: it.path,
        message: `same content as ${first}${opts.dropDuplicates ? ' (dropped)' : ''}`,
        fix: 'drop duplicates',
      });
      if (opts.dropDuplicates) continue;
    } else if (hashKey !== null) seenHash.set(hashKey, it.path);
    if (f.width < opts.minSize || f.height < opts.minSize) {
      problems.push({
        severity: 'warning',
        code: 'tiny_image',
        path: it.path,
        message: `${f.width}×${f.height} is smaller than ${opts.minSize} px${opts.dropTiny ? ' (dropped)' : ''}`,
        fix: 'drop tiny images',
      });
      if (opts.dropTiny) continue;
    }
    const b = it.bbox;
    if (b) {
      const [x1, x2, y1, y2] = b;
      if (!(x1 >= 0 && y1 >= 0 && x1 < x2 && y1 < y2 && x2 <= f.width && y2 <= f.height)) {
        problems.push({
          severity: 'warning',
          code: 'bbox_outside_image',
          path: it.path,
          message: `${originText(it)}: box (${x1},${y1})–(${x2},${y2}) is not inside the ${f.width}×${f.height} image: clipped`,
          fix: 'clip boxes',
        });
        const c: [number, number, number, number] = [Math.max(0, x1), Math.min(f.width, x2), Math.max(0, y1), Math.min(f.height, y2)];
        it.bbox = c[0] < c[1] && c[2] < c[3] ? c : null;
      }
    }
    keep.push(i);
  }

  // Grouped by name in one pass: each item's name is hashed once (per-item look-ups in several passes were most of
  // the plan's time on a million rows).
  const byName = new Map<string, number[]>();
  for (const i of keep) {
    const name = items[i]!.labelName;
    const members = byName.get(name);
    if (members) members.push(i);
    else byName.set(name, [i]);
  }
  const { ids, renumbered } = labelIds([...byName.keys()]);
  if (renumbered !== null) {
    problems.push({
      severity: 'warning',
      code: 'labels_renumbered',
      path: null,
      message: `label "${renumbered}" is not a plain integer, so every label is numbered 0–${ids.size - 1} in name order (the summary file keeps the names)`,
    });
  }
  const byLabel = new Map<number, number[]>();
  for (const [name, members] of byName) byLabel.set(ids.get(name)!, members);
  const labelNames: Record<number, string> = {};
  for (const [name, id] of ids) labelNames[id] = name;
  const written = new Set<string>();

  // Label-disjoint split, seeded.
  const splitOf = new Map<number, 'train' | 'validation'>();
  if (!opts.keepSplit) {
    const labels = shuffled(
      [...byLabel.keys()].sort((a, b) => a - b),
      mulberry32(opts.seed),
    );
    const nVal = Math.min(labels.length, Math.max(0, opts.valLabels ?? Math.round(labels.length * opts.valFraction)));
    labels.forEach((l, k) => {
      splitOf.set(l, k < nVal ? 'validation' : 'train');
    });
  }

  const rows = new PlannedRows(items);
  const rng = mulberry32(opts.seed + 1);
  /** One label's rows (train, or validation with query/gallery flags), in label order. */
  function planLabel(label: number, members: number[]): void {
    // A made split puts the whole label on one side; a kept one goes by each item's own.
    const itemSplit = (i: number) => items[i]!.split ?? 'train';
    const labelSplit = opts.keepSplit ? null : splitOf.get(label)!;
    const train = labelSplit === null ? members.filter((i) => itemSplit(i) === 'train') : labelSplit === 'train' ? members : [];
    const val = labelSplit === null ? members.filter((i) => itemSplit(i) === 'validation') : labelSplit === 'validation' ? members : [];
    if (train.length === 1 && !opts.keepSingle) {
      problems.push({
        severity: 'warning',
        code: 'single_instance_label',
        path: items[train[0]!]!.path,
        message: `train label "${items[train[0]!]!.labelName}" has one image: dropped (samplers need two)`,
        fix: 'keep single-instance labels',
      });
    } else {
      if (train.length === 1)
        problems.push({
          severity: 'warning',
          code: 'single_instance_label',
          path: items[train[0]!]!.path,
          message: `train label "${items[train[0]!]!.labelName}" has one image; samplers need two`,
          fix: 'drop single-instance labels',
        });
      for (const i of train) rows.push(i, label, 'train', null, null);
    }
    if (val.length === 0) return;
    let flags: [boolean, boolean][];
    if (opts.keepSplit && val.every((i) => items[i]!.isQuery !== null && items[i]!.isGallery !== null)) {
      flags = val.map((i) => [items[i]!.isQuery!, items[i]!.isGallery!]);
    } else if (val.length === 1 && opts.loneAsGallery) {
      flags = [[false, true]];
      problems.push({
        severity: 'warning',
        code: 'lone_validation_image',
        path: items[val[0]!]!.path,
        message: `validation label "${items[val[0]!]!.labelName}" has one image: kept as a gallery-only distractor, not a query with nothing to find`,
      });
    } else if (opts.queryFraction === null) {
      flags = val.map(() => [true, true]);
      if (val.length === 1)
        problems.push({
          severity: 'warning',
          code: 'query_without_positives',
          path: items[val[0]!]!.path,
          message: `validation label "${items[val[0]!]!.labelName}" has one image: as a query it has nothing to find`,
          fix: 'keep lone images out of the queries',
        });
    } else {
      const order = shuffled(
        val.map((_, k) => k),
        rng,
      );
      const nq = val.length === 1 ? 0 : Math.min(val.length - 1, Math.max(1, Math.round(val.length * opts.queryFraction)));
      const isQ = new Set(order.slice(0, nq));
      flags = val.map((_, k) => [isQ.has(k), !isQ.has(k)]);
    }
    // OML requires every query label among the gallery labels: a label with queries but no gallery item gets one.
    if (flags.some(([q]) => q) && !flags.some(([, g]) => g)) {
      flags[0] = [flags[0]![0], true];
      problems.push({
        severity: 'warning',
        code: 'query_label_not_in_gallery',
        path: items[val[0]!]!.path,
        message: `validation label "${items[val[0]!]!.labelName}" had queries but no gallery item: its first image is now also a gallery item`,
      });
    }
    val.forEach((i, k) => {
      const [q, g] = flags[k]!;
      if (!q && !g) return;
      rows.push(i, label, 'validation', q, g);
    });
  }
  for (const [label, members] of [...byLabel.entries()].sort((a, b) => a[0] - b[0])) {
    const before = rows.length;
    planLabel(label, members);
    if (rows.length > before) written.add(labelNames[label]!);
  }
  problems.push(...lostLabels(items, byName, keep, written));
  return { rows, labelNames, problems, dropped: items.length - rows.length };
}
