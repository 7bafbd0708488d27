import type { DatasetSummary } from '../../shared/schemas/dataset';
import { FLAG_TRUE, NO_BBOX, SPLIT_TRAIN, SPLIT_VALIDATION, type DatasetTable } from './table';
import type { ProblemLog } from './problems';
import { firstOccurrences } from './repeats';

const MAX_LABELS_LISTED = 10;

function listLabels(labels: number[]): string {
  const shown = labels.slice(0, MAX_LABELS_LISTED).join(', ');
  return labels.length > MAX_LABELS_LISTED ? `${shown} … (${labels.length} in all)` : shown;
}

/**
 * Dataset-wide rules: OML's checker (query labels must appear among gallery labels) plus ours — duplicate
 * rows, train labels with a single instance (samplers need two), validation queries with nothing to find,
 * and labels spread over several categories (OML silently keeps the last one).
 */
export function validateTable(t: DatasetTable, problems: ProblemLog): void {
  const trainCount = new Map<number, number>();
  const firstTrainRow = new Map<number, number>();
  const galleryLabels = new Map<number, number>();
  const queryLabels = new Map<number, number>(); // label -> first row
  const labelCategory = new Map<number, string>();
  const reportedCategory = new Set<number>();
  const seen = new Map<string, number>();
  const firstWithPath = firstOccurrences(t.path, (i) => !Number.isNaN(t.label[i]));

  for (let i = 0; i < t.size; i++) {
    const label = t.label[i]!;
    if (Number.isNaN(label)) continue;
    const row = t.rowNumber[i]!;
    const split = t.split[i];

    if (split === SPLIT_TRAIN) {
      trainCount.set(label, (trainCount.get(label) ?? 0) + 1);
      if (!firstTrainRow.has(label)) firstTrainRow.set(label, row);
    } else if (split === SPLIT_VALIDATION) {
      if (t.isGallery[i] === FLAG_TRUE) galleryLabels.set(label, (galleryLabels.get(label) ?? 0) + 1);
      if (t.isQuery[i] === FLAG_TRUE && !queryLabels.has(label)) queryLabels.set(label, row);
    }

    if (t.category) {
      const c = t.category[i]!;
      const prev = labelCategory.get(label);
      if (prev === undefined) labelCategory.set(label, c);
      else if (prev !== c && !reportedCategory.has(label)) {
        reportedCategory.add(label);
        problems.add(
          'warning',
          'label_in_several_categories',
          row,
          'category',
          `label ${label} is in category "${prev}" elsewhere and "${c}" here; OML keeps one category per label`,
        );
      }
    }

    // Rows can only repeat one another when their paths do: the full key (split, path, box) is made only then, so
    // a million distinct paths make no million key strings.
    const earliest = firstWithPath[i]!;
    if (earliest === i) continue;
    const earlier = duplicateKey(t, earliest);
    if (!seen.has(earlier)) seen.set(earlier, t.rowNumber[earliest]!);
    const key = duplicateKey(t, i);
    const first = seen.get(key);
    if (first !== undefined) {
      problems.add('warning', 'duplicate_row', row, 'path', `repeats row ${first} (same path, split and box)`);
    } else seen.set(key, row);
  }

  for (const [label, n] of trainCount) {
    if (n < 2) {
      problems.add(
        'warning',
        'single_instance_label',
        firstTrainRow.get(label) ?? null,
        'label',
        `train label ${label} has one instance; samplers need at least 2 per label (the row will be unusable for training)`,
      );
    }
  }

  const missing = [...queryLabels.keys()].filter((l) => !galleryLabels.has(l));
  if (missing.length > 0) {
    problems.add(
      'error',
      'query_label_not_in_gallery',
      queryLabels.get(missing[0]!) ?? null,
      'label',
      `query labels absent from the gallery: ${listLabels(missing)} (OML requires every query label among gallery labels)`,
    );
  }

  // A query whose only gallery item of its label is itself (1-vs-rest) has nothing to find: metrics treat it as a miss.
  for (let i = 0; i < t.size; i++) {
    if (t.split[i] !== SPLIT_VALIDATION || t.isQuery[i] !== FLAG_TRUE) continue;
    const label = t.label[i]!;
    const galleries = galleryLabels.get(label) ?? 0;
    if (galleries === 1 && t.isGallery[i] === FLAG_TRUE) {
      problems.add(
        'warning',
        'query_without_positives',
        t.rowNumber[i]!,
        'label',
        `validation label ${label} has a single item, so as a query it has no other relevant gallery item`,
      );
    }
  }
}

function duplicateKey(t: DatasetTable, i: number): string {
  const b = t.bbox;
  const box = b && b[4 * i] !== NO_BBOX ? `${b[4 * i]},${b[4 * i + 1]},${b[4 * i + 2]},${b[4 * i + 3]}` : '';
  return `${t.split[i]}\u0000${t.path[i]}\u0000${box}`;
}

export function summarize(t: DatasetTable): DatasetSummary {
  const perLabel = new Map<number, number>();
  const train = { rows: 0, labels: new Set<number>(), queries: 0, galleries: 0 };
  const validation = { rows: 0, labels: new Set<number>(), queries: 0, galleries: 0 };
  for (let i = 0; i < t.size; i++) {
    const label = t.label[i]!;
    const part = t.split[i] === SPLIT_TRAIN ? train : t.split[i] === SPLIT_VALIDATION ? validation : null;
    if (!part) continue;
    part.rows++;
    if (!Number.isNaN(label)) {
      part.labels.add(label);
      perLabel.set(label, (perLabel.get(label) ?? 0) + 1);
    }
    if (t.isQuery[i] === FLAG_TRUE) part.queries++;
    if (t.isGallery[i] === FLAG_TRUE) part.galleries++;
  }
  const histogram = new Map<number, number>();
  for (const n of perLabel.values()) histogram.set(n, (histogram.get(n) ?? 0) + 1);
  const hasBboxes = t.bbox?.some((v) => v !== NO_BBOX) ?? false;
  const categories = t.category ? [...new Set(t.category.filter((c) => c !== ''))].sort() : [];
  const splitSummary = (s: typeof train) => ({ rows: s.rows, labels: s.labels.size, queries: s.queries, galleries: s.galleries });
  return {
    rows: t.size,
    labels: perLabel.size,
    categories,
    columns: t.columns,
    hasBboxes,
    hasSequence: t.sequence !== null,
    train: splitSummary(train),
    validation: splitSummary(validation),
    instancesPerLabel: [...histogram.entries()].sort((a, b) => a[0] - b[0]),
  };
}
