import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../../shared/api';
import type { WizardPreview } from '../../shared/schemas/wizard';
import type { EventHub } from '../api/dispatch';
import { analyze, ConvertError, type Analysis } from '../dataset/convert/convert';
import type { SplitOptions } from '../dataset/convert/plan';
import { type ColumnMapping, guessMapping, readHeader } from '../dataset/convert/sources';
import { checkOutput, OutputError, writePlan } from '../dataset/convert/write';
import { labelAccount, problemSample } from '../dataset/convert/label-account';
import { REQUIRED_COLUMNS } from '../../shared/schemas/dataset';
import { inspectDataset } from '../dataset/inspect';
import type { RunStore } from '../store/runs';
import { broadFolder } from '../paths';

/** Tables the wizard reads: a request cannot make it read (and quote back) any other file. */
const WIZARD_TABLES = new Set(['.csv', '.tsv', '.txt']);

function refuseBroad(folder: string): void {
  const why = broadFolder(folder);
  if (why) throw new ApiError('invalid_input', `${why}: pick the folder that holds the dataset's images`);
}

/** A wizard source is a folder of images (not a broad one) or a table file; anything else is refused unread. */
async function wizardSource(source: string) {
  const info = await stat(source).catch(() => null);
  if (!info) throw new ApiError('not_found', `Source not found: ${source}`);
  if (info.isDirectory()) {
    refuseBroad(source);
    return info;
  }
  // By the name given and by the file a link leads to: "x.csv" → /etc/passwd is not a table.
  const real = await realpath(source).catch(() => source);
  const isTable = (f: string) => WIZARD_TABLES.has(path.extname(f).toLowerCase());
  if (!info.isFile() || !isTable(source) || !isTable(real))
    throw new ApiError('invalid_input', `${source}: a source is a folder of images or a .csv / .tsv / .txt table`);
  return info;
}

/**
 * The dataset wizard's server side: analyses run as cancellable jobs that stream progress; the last analysis of a
 * job is kept so "write" saves exactly what the user previewed.
 */
export class WizardService {
  private readonly running = new Map<string, AbortController>();
  private readonly done = new Map<string, Analysis & { source: string; paths: Set<string> }>();

  constructor(
    private readonly hub: EventHub,
    private readonly store: RunStore,
  ) {}

  async columns(source: string) {
    const info = await wizardSource(source);
    if (info.isDirectory()) return { kind: 'folder' as const, columns: [], guessed: {} };
    const { columns } = await readHeader(source);
    return {
      kind: REQUIRED_COLUMNS.every((c) => columns.includes(c)) ? ('oml' as const) : ('table' as const),
      columns,
      guessed: guessMapping(columns),
    };
  }

  async analyze(
    jobId: string,
    source: string,
    root: string | undefined,
    mapping: Partial<ColumnMapping> | undefined,
    split: SplitOptions,
  ): Promise<WizardPreview> {
    await wizardSource(source);
    if (root !== undefined) refuseBroad(root);
    this.running.get(jobId)?.abort();
    const ctl = new AbortController();
    this.running.set(jobId, ctl);
    try {
      const a = await analyze({ source, root, mapping, split }, (p) => this.hub.emit('wizard.progress', { jobId, ...p }), ctl.signal);
      this.done.set(jobId, { ...a, source, paths: new Set(a.items.map((it) => it.path)) });
      if (this.done.size > 20) this.done.delete(this.done.keys().next().value!);
      return preview(a);
    } catch (e) {
      if (e instanceof ConvertError) throw new ApiError('invalid_input', e.message);
      throw e;
    } finally {
      if (this.running.get(jobId) === ctl) this.running.delete(jobId);
    }
  }

  /** The item paths of this session's analyses of `root` (thumbnails may show them), or null when none was. */
  pathsUnder(root: string): { has(rel: string): boolean } | null {
    const found = [...this.done.values()].filter((a) => path.resolve(a.root) === root);
    return found.length ? { has: (rel) => found.some((a) => a.paths.has(rel)) } : null;
  }

  cancel(jobId: string): boolean {
    const ctl = this.running.get(jobId);
    ctl?.abort();
    return Boolean(ctl);
  }

  async write(jobId: string, out: string) {
    const a = this.done.get(jobId);
    if (!a) throw new ApiError('not_found', 'Nothing analysed under this job: run the analysis first');
    if (a.plan.rows.length === 0) throw new ApiError('invalid_input', 'Nothing usable to write');
    await checkOutput(out, [a.source]).catch((e: unknown) => {
      throw e instanceof OutputError ? new ApiError('invalid_input', e.message.replace(/^--out /, '')) : e;
    });
    const { csv, summary } = await writePlan(a.plan, a.root, out, { kind: a.kind, mapping: a.mapping });
    const { report } = await inspectDataset(csv);
    await this.store.registerDataset(path.basename(path.dirname(csv)), csv, path.dirname(csv), report.summary);
    return { csv, summary, report };
  }
}

function preview(a: Analysis): WizardPreview {
  const rows = [...a.plan.rows];
  const perLabel = new Map<number, number>();
  for (const r of rows) perLabel.set(r.label, (perLabel.get(r.label) ?? 0) + 1);
  const hist = new Map<number, number>();
  for (const n of perLabel.values()) hist.set(n, (hist.get(n) ?? 0) + 1);
  const setOf = (pred: (r: (typeof rows)[number]) => boolean) => new Set(rows.filter(pred).map((r) => r.label)).size;
  // At most 200 of each kind: a filter on one kind lists its own, however many another kind has.
  const sample = problemSample(a.problems, 200);
  const examples = [...perLabel.keys()].slice(0, 12).map((label) => {
    const mine = rows.filter((r) => r.label === label);
    return { label, name: a.plan.labelNames[label] ?? String(label), split: mine[0]!.split, paths: mine.slice(0, 4).map((r) => r.path) };
  });
  return {
    kind: a.kind,
    root: a.root,
    items: a.items.length,
    rows: rows.length,
    dropped: a.plan.dropped,
    labels: perLabel.size,
    categories: [...new Set(rows.map((r) => r.category).filter((c): c is string => c !== null))].sort(),
    train: { rows: rows.filter((r) => r.split === 'train').length, labels: setOf((r) => r.split === 'train') },
    validation: {
      rows: rows.filter((r) => r.split === 'validation').length,
      labels: setOf((r) => r.split === 'validation'),
      queries: rows.filter((r) => r.isQuery).length,
      galleries: rows.filter((r) => r.isGallery).length,
    },
    instancesPerLabel: [...hist.entries()].sort((x, y) => x[0] - y[0]),
    examples,
    problems: sample.shown,
    problemCount: a.problems.length,
    problemCounts: sample.counts,
    labelAccount: labelAccount(a.items, a.problems, new Set(rows.map((r) => a.plan.labelNames[r.label]!))),
  };
}
