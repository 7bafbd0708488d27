/**
 * The training config, in OML's YAML shape (`{name, args}` blocks; oml/configs and pipelines/*.yaml), checked with
 * zod on both sides: the CLI and the worker validate it, and the UI's form and YAML editor use the same schema.
 */
import { z } from 'zod';
import { BackendName } from './engine';
import { metricKey } from '../metric-key';

const positiveInt = z.number().int().positive();
const hardness = z.union([positiveInt, z.tuple([positiveInt, positiveInt])]);

export const MinerConfig = z.discriminatedUnion('name', [
  z.object({ name: z.literal('all_triplets'), args: z.object({ max_output_triplets: positiveInt.optional() }).strict().default({}) }),
  z.object({ name: z.literal('hard_triplets'), args: z.object({}).strict().default({}) }),
  z.object({
    name: z.literal('n_hard_triplets'),
    args: z
      .object({ n_positive: hardness.default(1), n_negative: hardness.default(1) })
      .strict()
      .default({ n_positive: 1, n_negative: 1 }),
  }),
  z.object({
    name: z.literal('miner_with_bank'),
    args: z.object({ bank_size_in_batches: positiveInt, n_positive: hardness.default(1), n_negative: hardness.default(1) }).strict(),
  }),
  z.object({
    name: z.literal('triplets_with_memory'),
    // OML draws tri_expand_k extra triplets per anchor from the bank: tens at most; a billion never ends.
    args: z.object({ bank_size_in_batches: positiveInt, tri_expand_k: z.number().int().min(1).max(100) }).strict(),
  }),
]);
export type MinerConfig = z.infer<typeof MinerConfig>;

const Reduction = z.enum(['mean', 'sum']).default('mean');

export const CriterionConfig = z.discriminatedUnion('name', [
  z.object({
    name: z.literal('triplet_with_miner'),
    args: z
      .object({
        margin: z.number().positive().nullable().default(0.2),
        reduction: Reduction,
        need_logs: z.boolean().default(true),
        miner: MinerConfig.default({ name: 'all_triplets', args: {} }),
      })
      .strict(),
  }),
  z.object({
    name: z.literal('arcface'),
    args: z
      .object({
        m: z.number().min(0).default(0.4),
        s: z.number().positive().default(64),
        smoothing_epsilon: z.number().min(0).lt(1).default(0),
        use_categories: z.boolean().default(false),
        reduction: Reduction,
      })
      .strict(),
  }),
  z.object({
    name: z.literal('surrogate_precision'),
    args: z
      .object({
        k: positiveInt,
        temperature1: z.number().positive().default(1),
        temperature2: z.number().positive().default(0.01),
        reduction: Reduction,
      })
      .strict(),
  }),
]);
export type CriterionConfig = z.infer<typeof CriterionConfig>;

export const SamplerConfig = z.discriminatedUnion('name', [
  z.object({
    name: z.literal('balance'),
    args: z.object({ n_labels: z.number().int().min(2), n_instances: z.number().int().min(2) }).strict(),
  }),
  z.object({
    name: z.literal('category_balance'),
    args: z
      .object({
        n_categories: positiveInt,
        n_labels: z.number().int().min(2),
        n_instances: z.number().int().min(2),
        resample_labels: z.boolean().default(false),
        weight_categories: z.boolean().default(true),
      })
      .strict(),
  }),
  z.object({
    name: z.literal('distinct_category_balance'),
    args: z
      .object({
        n_categories: positiveInt,
        n_labels: z.number().int().min(2),
        n_instances: z.number().int().min(2),
        epoch_size: positiveInt,
      })
      .strict(),
  }),
]);
export type SamplerConfig = z.infer<typeof SamplerConfig>;

export const ExtractorConfig = z
  .object({
    /** `zoo`: a downloaded zoo model as the backbone (args.model), its trunk up to args.layer. */
    name: z.enum(['small_cnn', 'mobilenet_v2', 'resnet18', 'zoo']),
    args: z
      .object({
        // Retrieval embeddings are 64–2048-d; past 8192 the head alone is gigabytes.
        emb_dim: positiveInt.max(8192).default(128),
        normalise_features: z.boolean().default(true),
        pooling: z.enum(['avg', 'gem']).default('avg'),
        gem_p: z.number().positive().default(3),
        head: z.enum(['none', 'linear', 'mlp']).default('linear'),
        alpha: z.number().positive().default(1),
        /** Pretrained weights: a checkpoint folder (model.json + weights) of the same architecture. */
        weights: z.string().nullable().default(null),
        /** zoo: the model's key (`metric-studio zoo list`). */
        model: z
          .string()
          .regex(/^[a-z0-9_]+$/)
          .nullable()
          .default(null),
        /** zoo: the backbone layer whose output is pooled into features (default: the catalogue's embedding layer). */
        layer: z.string().nullable().default(null),
        /**
         * zoo: the first backbone layer that trains; every layer before it stays frozen. null = the whole backbone
         * stays frozen: only the head trains, on features computed once and cached (seconds on a CPU).
         */
        train_from: z.string().nullable().default(null),
        /**
         * zoo with train_from: the frozen layers below train_from run once per image (and view) and their output is
         * cached; only the layers from train_from on run in a step. Off: the whole network runs on every step.
         */
        cache_activations: z.boolean().default(true),
        /**
         * Views per training image in the activation cache: the plain image, then K − 1 augmented draws of
         * transforms_train; a step takes one view per image at random. 1 = no augmentation while cached.
         */
        cached_views: z.number().int().min(1).max(64).default(1),
        /** Batch norms in the trained part keep their statistics, γ and β (they run as in inference). */
        bn_frozen: z.boolean().default(false),
      })
      .strict()
      .default({
        emb_dim: 128,
        normalise_features: true,
        pooling: 'avg',
        gem_p: 3,
        head: 'linear',
        alpha: 1,
        weights: null,
        model: null,
        layer: null,
        train_from: null,
        cache_activations: true,
        cached_views: 1,
        bn_frozen: false,
      }),
  })
  .refine((e) => e.name !== 'zoo' || e.args.model !== null, {
    message: 'extractor "zoo" needs args.model: a zoo model key',
    path: ['args', 'model'],
  });
export type ExtractorConfig = z.infer<typeof ExtractorConfig>;

export const OptimizerConfig = z.object({
  name: z.enum(['adam', 'adamw', 'sgd']),
  args: z
    .object({ lr: z.number().positive(), weight_decay: z.number().min(0).default(0), momentum: z.number().min(0).lt(1).default(0.9) })
    .strict(),
});
export type OptimizerConfig = z.infer<typeof OptimizerConfig>;

export const SchedulerConfig = z.discriminatedUnion('name', [
  z.object({ name: z.literal('step'), args: z.object({ step_size: positiveInt, gamma: z.number().positive().default(0.1) }).strict() }),
  z.object({
    name: z.literal('multi_step'),
    args: z.object({ milestones: z.array(positiveInt).min(1), gamma: z.number().positive().default(0.1) }).strict(),
  }),
  z.object({ name: z.literal('cosine_annealing'), args: z.object({ T_max: positiveInt, eta_min: z.number().min(0).default(0) }).strict() }),
  z.object({
    name: z.literal('one_cycle'),
    args: z
      .object({
        max_lr: z.number().positive(),
        total_steps: positiveInt,
        pct_start: z.number().gt(0).lt(1).default(0.3),
        div_factor: z.number().positive().default(25),
        final_div_factor: z.number().positive().default(1e4),
      })
      .strict(),
  }),
  z.object({
    name: z.literal('reduce_on_plateau'),
    args: z
      .object({
        factor: z.number().gt(0).lt(1).default(0.1),
        patience: z.number().int().min(0).default(10),
        mode: z.enum(['min', 'max']).default('max'),
        min_lr: z.number().min(0).default(0),
      })
      .strict(),
  }),
]);
export type SchedulerConfig = z.infer<typeof SchedulerConfig>;

export const TransformConfig = z.object({
  name: z.enum(['norm_resize', 'augs']),
  args: z
    .object({
      hflip: z.boolean().default(false),
      pad_crop: z.number().int().min(0).default(0),
      brightness: z.number().min(0).max(1).default(0),
    })
    .strict()
    .default({ hflip: false, pad_crop: 0, brightness: 0 }),
});
export type TransformConfig = z.infer<typeof TransformConfig>;

export const MetricArgsConfig = z
  .object({
    cmc_top_k: z.array(positiveInt).default([1, 5]),
    precision_top_k: z.array(positiveInt).default([5]),
    map_top_k: z.array(positiveInt).default([5]),
    ndcg_top_k: z.array(positiveInt).default([]),
    fmr_vals: z.array(z.number().min(0).max(1)).default([]),
    pcf_variance: z.array(z.number().gt(0).max(1)).default([0.5]),
  })
  .strict();

export const TrainConfig = z
  .object({
    postfix: z.string().default('run'),
    seed: z.number().int().default(42),
    backend: z.union([z.literal('auto'), BackendName]).default('auto'),
    /** CPU threads for the wasm backend: auto = every core (or METRIC_STUDIO_THREADS); the run records the count it got. */
    threads: z.union([z.literal('auto'), z.number().int().min(1).max(256)]).default('auto'),
    /** The dataset CSV; relative paths are resolved against the config file's folder. */
    dataset: z.string().min(1),
    dataset_root: z.string().nullable().default(null),
    // Below 8 px every model's pooling leaves nothing (wasm failed with "memory access out of bounds"); above 1024
    // a batch of images is gigabytes.
    image_size: positiveInt.min(8).max(1024).default(28),
    channels: z.union([z.literal(1), z.literal(3)]).default(1),
    cache_images: z.boolean().default(true),
    transforms_train: TransformConfig.default({ name: 'norm_resize', args: { hflip: false, pad_crop: 0, brightness: 0 } }),
    sampler: SamplerConfig,
    bs_val: positiveInt.default(256),
    max_epochs: positiveInt.max(100_000),
    /** Cap on steps per epoch (null = the sampler's epoch). */
    steps_per_epoch: positiveInt.nullable().default(null),
    valid_period: positiveInt.default(1),
    metric_args: MetricArgsConfig.default({
      cmc_top_k: [1, 5],
      precision_top_k: [5],
      map_top_k: [5],
      ndcg_top_k: [],
      fmr_vals: [],
      pcf_variance: [0.5],
    }),
    metric_for_checkpointing: z.string().default(metricKey('cmc', 1)),
    mode_for_checkpointing: z.enum(['max', 'min']).default('max'),
    early_stopping_patience: z.number().int().positive().nullable().default(null),
    freeze_n_epochs: z.number().int().min(0).default(0),
    /** The learning rate of the backbone (every layer outside the head) relative to the head's: pretrained layers move slower. */
    backbone_lr_scale: z.number().gt(0).max(10).default(1),
    /** Steps over which the learning rate rises linearly from lr/warmup_steps to the scheduled rate. */
    warmup_steps: z.number().int().min(0).default(0),
    /**
     * Images per forward/backward chunk of a training step (the loss still sees the whole batch: two passes, the
     * embeddings' gradients cached between them). auto: the whole batch unless the backend's memory cannot hold
     * its activations.
     */
    micro_batch: z.union([z.literal('auto'), positiveInt]).default('auto'),
    extractor: ExtractorConfig,
    criterion: CriterionConfig,
    optimizer: OptimizerConfig,
    scheduling: z
      .object({ scheduler_interval: z.enum(['epoch', 'step']).default('epoch'), scheduler: SchedulerConfig })
      .nullable()
      .default(null),
  })
  .strict();
export type TrainConfig = z.infer<typeof TrainConfig>;
export type TrainConfigInput = z.input<typeof TrainConfig>;
