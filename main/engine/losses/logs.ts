import * as tf from '@tensorflow/tfjs';
import type { LossOutput, PendingLogs } from '../interfaces/criterions';

/** Logs from kept tensors, for a criterion's `pending`: the tensors are kept past the step's scope. */
export function pendingLogs(tensors: tf.Tensor[], logs: PendingLogs['logs']): PendingLogs {
  for (const t of tensors) tf.keep(t);
  return { tensors, logs };
}

/** Every log of a loss output: the immediate ones and, read asynchronously and freed, the pending ones. */
export async function lossLogs(out: Pick<LossOutput, 'logs' | 'pending'>): Promise<Record<string, number>> {
  if (!out.pending) return out.logs;
  const { tensors, logs } = out.pending;
  try {
    const values = await Promise.all(tensors.map((t) => t.data()));
    return { ...out.logs, ...logs(values) };
  } finally {
    for (const t of tensors) t.dispose();
  }
}
