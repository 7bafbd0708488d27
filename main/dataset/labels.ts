import { SPLIT_TRAIN, type DatasetTable } from './table';

/**
 * OML remaps train labels to 0..N−1 (ArcFace needs class indices); validation keeps raw labels. OML orders them by
 * a non-stable sort of the split column, so its exact numbering is implementation-defined; we number labels in
 * order of first appearance among train rows, which is stable and reproducible.
 */
export function trainLabelMapping(t: DatasetTable): Map<number, number> {
  const map = new Map<number, number>();
  for (let i = 0; i < t.size; i++) {
    if (t.split[i] !== SPLIT_TRAIN || Number.isNaN(t.label[i]!)) continue;
    if (!map.has(t.label[i]!)) map.set(t.label[i]!, map.size);
  }
  return map;
}

/** Row indices and remapped labels of the train split. */
export function trainRows(t: DatasetTable): { rows: Int32Array; labels: Int32Array; mapping: Map<number, number> } {
  const mapping = trainLabelMapping(t);
  const rows: number[] = [];
  for (let i = 0; i < t.size; i++) if (t.split[i] === SPLIT_TRAIN && mapping.has(t.label[i]!)) rows.push(i);
  return { rows: Int32Array.from(rows), labels: Int32Array.from(rows, (i) => mapping.get(t.label[i]!)!), mapping };
}

/** label → category as OML builds it (dict(zip(label, category)): the last row of a label wins). */
export function label2category(
  t: DatasetTable,
  rows: ArrayLike<number>,
  mapLabel: (raw: number) => number = (l) => l,
): Map<number, string> {
  const out = new Map<number, string>();
  if (!t.category) return out;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    out.set(mapLabel(t.label[i]!), t.category[i]!);
  }
  return out;
}
