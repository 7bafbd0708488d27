import type { TrainSession } from '../train/session';

/** What one optimisation step produced (tfjs-layers' batch logs; OML's last_logs of the criterion). */
export interface BatchLogs {
  loss: number;
  /** The criterion's scalars (active_tri, pos_dist, …). */
  logs: Record<string, number>;
  /** Mean per-dimension spread of the batch's embeddings (collapse detection). */
  spread: number;
  batchSize: number;
  /** 1-based step within the epoch, and the epoch's length. */
  epochStep: number;
  epochSteps: number;
}

/**
 * A training callback (tfjs-layers' BaseCallback, Lightning's Callback): the loop calls the hooks in list order
 * and awaits each. Callbacks that must survive a resume give their state a key; it travels in the `last`
 * checkpoint and is handed back before training begins.
 */
export interface TrainCallback {
  /** Key of this callback's state in a checkpoint; absent for stateless callbacks. */
  readonly stateKey?: string;
  state?(): unknown;
  loadState?(state: unknown): void;
  onTrainBegin?(s: TrainSession): Promise<void> | void;
  onEpochBegin?(s: TrainSession): Promise<void> | void;
  onBatchBegin?(s: TrainSession): Promise<void> | void;
  onBatchEnd?(s: TrainSession, batch: BatchLogs): Promise<void> | void;
  onEpochEnd?(s: TrainSession): Promise<void> | void;
  onTrainEnd?(s: TrainSession): Promise<void> | void;
}
