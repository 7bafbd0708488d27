import { stringify } from 'csv-stringify/browser/esm/sync';
import { OVERALL, parseMetricKey, shortMetricKey } from '../../shared/metric-key';
import type { Baseline } from '../../shared/baselines';
import type { Series as ChartSeries } from './components/LineChart.vue';
import type { Series } from './composables/run-live';
import { chartGroup } from './format';

export interface ChartSpec {
  group: string;
  keys: string[];
  /** A per-step series (loss, lr, …): smoothable; validation metrics are not. */
  perStep: boolean;
}

/**
 * A run's charts in the order people read them: the loss, then the checkpoint metric's chart, the other overall
 * metrics, the other per-step series; per-category metrics apart (the page folds them away).
 */
export function runCharts(series: Series, checkpointKey: string | null): { main: ChartSpec[]; categories: ChartSpec[] } {
  const groups = new Map<string, string[]>();
  for (const key of Object.keys(series)) {
    if (key === 'collapse_warning') continue;
    const g = chartGroup(key);
    (groups.get(g) ?? groups.set(g, []).get(g)!).push(key);
  }
  const checkpointGroup = checkpointKey ? chartGroup(checkpointKey) : null;
  const rank = (g: string, keys: string[]) => {
    if (g === 'loss') return 0;
    if (g === checkpointGroup) return 1;
    const p = parseMetricKey(keys[0]!);
    return p ? (p.group === OVERALL ? 2 : 4) : 3;
  };
  const specs = [...groups]
    .map(([group, keys]) => ({ group, keys: keys.sort(), perStep: parseMetricKey(keys[0]!) === null, rank: rank(group, keys) }))
    .sort((a, b) => a.rank - b.rank || a.group.localeCompare(b.group));
  const strip = ({ group, keys, perStep }: ChartSpec) => ({ group, keys, perStep });
  return { main: specs.filter((s) => s.rank < 4).map(strip), categories: specs.filter((s) => s.rank === 4).map(strip) };
}

/** Every series as one long table (key, step, epoch, value), as the run store keeps them: for spreadsheets and pandas. */
export function seriesCsv(series: Series): string {
  const rows = Object.keys(series)
    .sort()
    .flatMap((key) => series[key]!.map(([step, epoch, value]) => [key, step, epoch, value]));
  return stringify(rows, { header: true, columns: ['key', 'step', 'epoch', 'value'] });
}

/** Greys and browns for reference levels: apart from the palette the runs' own lines use. */
const REFERENCE_COLOURS = ['#6b6b6b', '#8a5a2b', '#4f6d7a', '#7a4f6d'];

/**
 * Flat dashed lines across `[x0, x1]` for a chart of `keys`: the untrained network's value of the checkpoint metric,
 * and each baseline's value of every key it measured (raw pixels, the zoo model frozen).
 */
export function referenceLines(
  keys: readonly string[],
  xs: readonly number[],
  refs: { checkpointKey: string | null; untrained: number | null; baselines: readonly Baseline[] },
): ChartSeries[] {
  if (xs.length === 0) return [];
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const flat = (name: string, y: number, color: string): ChartSeries => ({
    name,
    points:
      x0 === x1
        ? [[x0, y]]
        : [
            [x0, y],
            [x1, y],
          ],
    color,
    reference: true,
  });
  const out: ChartSeries[] = [];
  if (refs.untrained !== null && refs.checkpointKey && keys.includes(refs.checkpointKey))
    out.push(flat('untrained network', refs.untrained, REFERENCE_COLOURS[0]!));
  refs.baselines.forEach((b, i) => {
    for (const key of keys) {
      const v = b.metrics[key];
      if (v !== undefined)
        out.push(
          flat(keys.length > 1 ? `${b.label}: ${shortMetricKey(key)}` : b.label, v, REFERENCE_COLOURS[(i + 1) % REFERENCE_COLOURS.length]!),
        );
    }
  });
  return out;
}
