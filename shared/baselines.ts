import { z } from 'zod';
import { lowerIsBetter, shortMetricKey } from './metric-key';

/**
 * A model that needs no training, measured on a run's own validation rows: raw pixels, and the zoo backbone the run
 * starts from, frozen. A trained model is worth its training only where it beats them.
 */
export const Baseline = z.object({
  /** `raw_pixels` or `zoo:<key>`. */
  name: z.string(),
  /** For people: "raw pixels (28×28 grey, L2-normalised)", "mobilenetv2_nsfwjs frozen". */
  label: z.string(),
  metrics: z.record(z.string(), z.number()),
  /** Wall time it took (embedding the validation rows). */
  seconds: z.number(),
});
export type Baseline = z.infer<typeof Baseline>;

export interface BaselineVerdict {
  /** The strongest baseline on the metric, by its direction. */
  baseline: Baseline;
  baselineValue: number;
  /** value − baseline (baseline − value for lower-is-better metrics): > 0 beats it. */
  margin: number;
  beaten: boolean;
}

/** How `value` of metric `key` stands against the strongest baseline that measured it; null when none did. */
export function againstBaselines(key: string, value: number, baselines: readonly Baseline[]): BaselineVerdict | null {
  const lower = lowerIsBetter(key);
  let best: { baseline: Baseline; value: number } | null = null;
  for (const b of baselines) {
    const v = b.metrics[key];
    if (v === undefined || !Number.isFinite(v)) continue;
    if (!best || (lower ? v < best.value : v > best.value)) best = { baseline: b, value: v };
  }
  if (!best) return null;
  const margin = lower ? best.value - value : value - best.value;
  return { baseline: best.baseline, baselineValue: best.value, margin, beaten: margin > 0 };
}

/** One sentence for the log, `runs show` and the run page. */
export function verdictText(key: string, value: number, v: BaselineVerdict): string {
  const k = shortMetricKey(key);
  return v.beaten
    ? `The best checkpoint beats ${v.baseline.label} on ${k}: ${value.toFixed(4)} against ${v.baselineValue.toFixed(4)} (+${v.margin.toFixed(4)}).`
    : `The best checkpoint does not beat ${v.baseline.label} on ${k}: ${value.toFixed(4)} against ${v.baselineValue.toFixed(4)} (${v.margin.toFixed(4)}). Use that baseline instead, or train on more labels, longer, or from a pretrained model.`;
}
