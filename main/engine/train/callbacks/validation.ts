import * as tf from '@tensorflow/tfjs';
import { computeMetrics, flattenMetrics, retrievalSides } from '../../../metrics/embedding-metrics';
import { tableValidationSet } from '../../../metrics/evaluate-dataset';
import type { TrainCallback } from '../../interfaces/callbacks';
import { prefetchedProducts, tfjsProducts } from '../../retrieval-products';
import { embedPipeline } from '../inputs';
import { onDevice } from '../../device-errors';
import type { TrainSession } from '../session';

/** Retrieval metrics on the validation rows (OML's MetricValCallback). */
export async function validate(s: TrainSession, epoch: number): Promise<Record<string, number>> {
  s.events.progress({ epoch, step: s.step, epochStep: 0, epochSteps: 0, phase: 'validating' });
  const origin = { size: s.cfg.bs_val, setting: `bs_val (${s.cfg.bs_val})` };
  const data = await onDevice(origin, embedPipeline(s.inputs, s.valRows, s.cfg.bs_val));
  const flat = await validationMetrics(s, data, s.embDim);
  s.events.send({ type: 'metrics', runId: s.runId, points: [{ step: s.step, epoch, values: flat }] });
  return flat;
}

/** The run's metrics (its metric_args) of embeddings of its validation rows, flattened to metric keys. */
export async function validationMetrics(s: TrainSession, data: Float32Array, dim: number): Promise<Record<string, number>> {
  const origin = { size: s.cfg.bs_val, setting: `bs_val (${s.cfg.bs_val})` };
  const set = tableValidationSet(s.table, s.valRows, { data, count: s.valRows.length, dim });
  // On a GPU the products are computed before the (synchronous) search and read back without blocking.
  const { queries, gallery } = retrievalSides(set);
  const products =
    tf.getBackend() === 'webgpu' ? ((await onDevice(origin, prefetchedProducts(queries, gallery))) ?? undefined) : tfjsProducts;
  const { tree } = computeMetrics(set, s.metricArgs, products);
  return Object.fromEntries(Object.entries(flattenMetrics(tree)).filter(([, v]) => Number.isFinite(v)));
}

/**
 * Validates the untrained network before the first step (the baseline training must beat; epoch −1), then every
 * `valid_period` epochs and after the last one.
 */
export class Validation implements TrainCallback {
  async onTrainBegin(s: TrainSession): Promise<void> {
    if (s.resumed || s.valRows.length === 0) return;
    s.metrics = await validate(s, -1);
    const key = s.cfg.metric_for_checkpointing;
    s.events.log(`untrained network: ${key} = ${s.metrics[key]?.toFixed(4) ?? 'n/a'}`);
  }

  onEpochBegin(s: TrainSession): void {
    s.validated = false;
  }

  async onEpochEnd(s: TrainSession): Promise<void> {
    const { valid_period: period, max_epochs: last } = s.cfg;
    if ((s.epoch + 1) % period !== 0 && s.epoch !== last - 1) return;
    s.metrics = s.valRows.length ? await validate(s, s.epoch) : {};
    s.validated = true;
  }
}
