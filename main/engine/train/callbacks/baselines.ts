import { type Baseline, againstBaselines, verdictText } from '../../../../shared/baselines';
import { modelDir } from '../../../zoo/catalog';
import { ImageStore } from '../../data/images';
import { embedBatches, imageInputs } from '../../embed/batches';
import { RAW_PIXELS_DIM, RAW_PIXELS_NAME, rawPixelRows } from '../../embed/raw-pixels';
import { zooEmbedder } from '../../embed/zoo-embedder';
import type { TrainCallback } from '../../interfaces/callbacks';
import { resolveThreads } from '../../wasm/threads';
import type { TrainSession } from '../session';
import type { Checkpointing } from './checkpointing';
import { validationMetrics } from './validation';

/**
 * Validates, once before the first step, what a user could have without training: raw pixels and — when the run
 * starts from a zoo model — that model frozen (as `evaluate --baseline raw-pixels` and `evaluate --zoo` embed them),
 * on the run's validation rows with its metric args. They are sent as `baseline` events (the charts draw them as
 * flat lines); at the end the log says whether the best checkpoint beat the strongest of them, and by how much.
 */
export class Baselines implements TrainCallback {
  readonly stateKey = 'baselines';
  private measured: Baseline[] = [];

  state() {
    return this.measured;
  }
  loadState(state: unknown) {
    this.measured = state as Baseline[];
  }

  constructor(
    private readonly checkpointing: Checkpointing,
    private readonly dataDir: string | undefined,
  ) {}

  async onTrainBegin(s: TrainSession): Promise<void> {
    if (s.resumed || s.valRows.length === 0) return;
    const key = s.cfg.metric_for_checkpointing;
    const measure = async (name: string, label: string, embed: () => Promise<{ data: Float32Array; dim: number }>) => {
      const t0 = performance.now();
      s.events.progress({ epoch: -1, step: s.step, epochStep: 0, epochSteps: 0, phase: 'validating' });
      const { data, dim } = await embed();
      const baseline: Baseline = { name, label, metrics: await validationMetrics(s, data, dim), seconds: (performance.now() - t0) / 1000 };
      this.measured.push(baseline);
      s.events.send({ type: 'baseline', runId: s.runId, baseline });
      s.events.log(`baseline ${label}: ${key} = ${baseline.metrics[key]?.toFixed(4) ?? 'n/a'} (${baseline.seconds.toFixed(1)} s)`);
    };
    await measure('raw_pixels', RAW_PIXELS_NAME, async () => ({ data: await rawPixelRows(s.table, s.valRows), dim: RAW_PIXELS_DIM }));
    const zooKey = s.cfg.extractor.name === 'zoo' ? s.cfg.extractor.args.model : null;
    if (zooKey && this.dataDir) {
      const dir = modelDir(this.dataDir, zooKey);
      await measure(`zoo:${zooKey}`, `${zooKey} frozen`, async () => {
        const zoo = await zooEmbedder(dir, resolveThreads(s.cfg.threads));
        const store = new ImageStore(s.table, zoo.spec, false);
        const load = imageInputs(zoo.spec, (b, e) => store.get(s.valRows.slice(b, e)));
        const data = await embedBatches(zoo.model, s.valRows.length, load, s.cfg.bs_val);
        return { data, dim: data.length / s.valRows.length };
      });
    }
  }

  onTrainEnd(s: TrainSession): void {
    const best = this.checkpointing.best;
    const key = s.cfg.metric_for_checkpointing;
    const v = best === null ? null : againstBaselines(key, best, this.measured);
    if (v) s.events.log(verdictText(key, best!, v), v.beaten ? 'info' : 'warn');
  }
}
