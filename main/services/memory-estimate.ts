import type { TrainConfig } from '../../shared/schemas/config';

/**
 * Floats of activation per input pixel that one image keeps for the backward pass, per extractor: rough upper
 * bounds from the architectures' usual activation counts at 224 px (ResNet-18 ≈ 5 M floats, MobileNetV2 ≈ 6.7 M;
 * our small CNN far less), not measured here. A zoo backbone is counted like MobileNetV2, the largest the
 * catalogue holds. The check only has to tell a run that fits from one that is off by orders of magnitude.
 */
const ACTIVATION_FLOATS_PER_PIXEL: Record<TrainConfig['extractor']['name'], number> = {
  small_cnn: 40,
  mobilenet_v2: 135,
  resnet18: 100,
  zoo: 135,
};
/** Of the activations a training step keeps, the share alive at once during inference. */
const INFERENCE_SHARE = 8;
/** The widest backbone feature a head sits on (MobileNetV2's 1280). */
const MAX_FEATURES = 1280;
/** Weights, their gradients and two Adam slots. */
const COPIES_PER_WEIGHT = 4;
/** The retrieval metrics' distance block (knn.ts bounds it to ~64 MB). */
const DISTANCE_BLOCK_BYTES = 64 * 2 ** 20;

export interface MemoryPart {
  /** The config key that sizes this part: where the form points the user. */
  key: string;
  what: string;
  bytes: number;
}

/** What a run holds at its peak, part by part: a pre-flight estimate, not a measurement. */
export function estimateTrainingMemory(cfg: TrainConfig, sizes: { batch: number; rows: number; classes: number }): MemoryPart[] {
  const pixels = cfg.image_size * cfg.image_size;
  const floats = ACTIVATION_FLOATS_PER_PIXEL[cfg.extractor.name];
  const emb = cfg.extractor.args.emb_dim;
  const parts: MemoryPart[] = [
    { key: 'sampler.args', what: `a train batch of ${sizes.batch} images`, bytes: sizes.batch * pixels * floats * 4 * 2 },
    // Inference frees each layer's input once the next has its output: about the largest two layers are alive.
    // A validation batch is at most every row: bs_val past the dataset's size asks for nothing more.
    {
      key: 'bs_val',
      what: `a validation batch of ${Math.min(cfg.bs_val, sizes.rows)} images`,
      bytes: (Math.min(cfg.bs_val, sizes.rows) * pixels * floats * 4) / INFERENCE_SHARE,
    },
    { key: 'image_size', what: `the image cache (${sizes.rows} images)`, bytes: cfg.cache_images ? sizes.rows * pixels * cfg.channels : 0 },
    { key: 'extractor.args.emb_dim', what: 'the embedding head', bytes: MAX_FEATURES * emb * 4 * COPIES_PER_WEIGHT },
    { key: 'extractor.args.emb_dim', what: 'the validation embeddings', bytes: sizes.rows * emb * 4 + DISTANCE_BLOCK_BYTES },
  ];
  if (cfg.criterion.name === 'arcface')
    parts.push({
      key: 'extractor.args.emb_dim',
      what: `ArcFace's ${sizes.classes} class centres`,
      bytes: sizes.classes * emb * 4 * COPIES_PER_WEIGHT,
    });
  return parts;
}
