/**
 * One of our training configs as OML's: the train and validation configs its `pipelines/features_extraction`
 * entry points take (PyTorch Lightning, one GPU or DDP over many), with OML's registry names for every `{name, args}`
 * block. Names and keys come from OML's own files, kept as data with the commit they were read at (registry.json).
 * What has no OML counterpart is mapped to the nearest thing OML has, or left out — each time with a warning that
 * says so; nothing is dropped silently.
 */
import type { TrainConfig } from '../../../shared/schemas/config';
import OML from './registry.json';

export const OML_SOURCE = OML.source;
export const OML_NAMES = OML.registries;
export const OML_ARGS = OML.args;
export const OML_KEYS = { train: OML.trainKeys, validation: OML.validationKeys, scheduling: OML.schedulingKeys };

type Block = { name: string; args: Record<string, unknown> };
export interface OmlExport {
  train: Record<string, unknown>;
  validation: Record<string, unknown>;
  /** What could not be carried over as it is: for people, one sentence each. */
  warnings: string[];
}

export interface MapContext {
  /** Training labels (ArcFace's classes). */
  numClasses: number;
  /** Where the images are (absolute), and the exported CSV's absolute path. */
  datasetRoot: string;
  dataframe: string;
  /** GPUs per node for `devices`. */
  devices: number;
}

/** Our zoo models that OML's registry has too, as its extractor blocks. */
const ZOO_IN_OML: Record<string, Block> = {
  dinov2_small_onnx: { name: 'vit', args: { arch: 'vits14', weights: 'vits14_dinov2', normalise_features: false, use_multi_scale: false } },
  clip_vit_b32_onnx: { name: 'vit_clip', args: { arch: 'vitb32_224', weights: 'openai_vitb32_224', normalise_features: false } },
};
/** What stands in for a backbone OML lacks: ImageNet ResNet-50, OML's own default for new datasets. */
const STAND_IN: Block = {
  name: 'resnet',
  args: { arch: 'resnet50', weights: 'resnet50_imagenet1k_v1', gem_p: null, remove_fc: true, normalise_features: false },
};

function extractor(cfg: TrainConfig, warn: (w: string) => void): Block {
  const a = cfg.extractor.args;
  let backbone: Block;
  switch (cfg.extractor.name) {
    case 'resnet18':
      backbone = {
        name: 'resnet',
        args: { arch: 'resnet18', weights: 'resnet18_imagenet1k_v1', gem_p: null, remove_fc: true, normalise_features: false },
      };
      warn('extractor resnet18: OML starts it from ImageNet weights (resnet18_imagenet1k_v1), not from random ones');
      break;
    case 'small_cnn':
    case 'mobilenet_v2':
      backbone = STAND_IN;
      warn(`extractor ${cfg.extractor.name}: OML has no such backbone; exported as OML's ImageNet ResNet-50 (resnet50_imagenet1k_v1)`);
      break;
    case 'zoo': {
      const inOml = ZOO_IN_OML[a.model ?? ''];
      backbone = inOml ?? STAND_IN;
      if (!inOml) warn(`extractor zoo ${a.model}: not in OML's zoo; exported as OML's ImageNet ResNet-50 (resnet50_imagenet1k_v1)`);
      if (a.layer) warn(`extractor.args.layer ${a.layer}: OML embeds with the backbone's own output`);
      break;
    }
  }
  if (a.weights)
    warn(`extractor.args.weights ${a.weights}: a TF.js checkpoint, which OML cannot load; the backbone starts from its pretrained weights`);
  if (a.pooling === 'gem') {
    if (backbone.name === 'resnet') backbone = { ...backbone, args: { ...backbone.args, gem_p: a.gem_p } };
    else warn(`extractor.args.pooling gem: OML's ${backbone.name} pools with its class token`);
  }
  const trainsBackbone = cfg.extractor.name !== 'zoo' || a.train_from !== null;
  if (cfg.extractor.name === 'zoo' && a.train_from)
    warn(`extractor.args.train_from ${a.train_from}: OML fine-tunes the whole backbone (freeze_n_epochs still trains the head first)`);
  for (const [key, on] of [
    ['cache_activations', a.train_from !== null && a.cache_activations],
    ['cached_views', a.cached_views > 1],
    ['bn_frozen', a.bn_frozen],
  ] as const)
    if (on)
      warn(`extractor.args.${key}: no OML counterpart (OML runs the whole network on augmented images every step, batch norms training)`);
  if (a.head === 'none') return { ...backbone, args: { ...backbone.args, normalise_features: a.normalise_features } };
  if (!a.normalise_features)
    warn("extractor.args.normalise_features false: OML's extractor_with_mlp always gives its MLP's output as it is");
  else
    warn(
      "extractor.args.normalise_features: OML's extractor_with_mlp does not L2-normalise its output (the triplet loss and metrics see raw embeddings)",
    );
  return {
    name: 'extractor_with_mlp',
    args: {
      extractor: backbone,
      mlp_features: a.head === 'mlp' ? [a.emb_dim * 2, a.emb_dim] : [a.emb_dim],
      weights: null,
      train_backbone: trainsBackbone,
    },
  };
}

function criterion(cfg: TrainConfig, ctx: MapContext, embDim: number, warn: (w: string) => void): Block {
  const c = cfg.criterion;
  switch (c.name) {
    case 'triplet_with_miner': {
      const m = c.args.miner;
      let miner: Block;
      if (m.name === 'miner_with_bank')
        miner = {
          name: 'miner_with_bank',
          args: {
            bank_size_in_batches: m.args.bank_size_in_batches,
            miner: { name: 'n_hard_triplets', args: { n_positive: m.args.n_positive, n_negative: m.args.n_negative } },
          },
        };
      else miner = { name: m.name, args: { ...m.args } };
      return {
        name: 'triplet_with_miner',
        args: { margin: c.args.margin, reduction: c.args.reduction, need_logs: c.args.need_logs, miner },
      };
    }
    case 'arcface':
      if (c.args.use_categories)
        warn('criterion.args.use_categories: OML passes label2category to ArcFace itself when the sampler is category-based');
      return {
        name: 'arcface',
        args: {
          in_features: embDim,
          num_classes: ctx.numClasses,
          m: c.args.m,
          s: c.args.s,
          smoothing_epsilon: c.args.smoothing_epsilon,
          reduction: c.args.reduction,
        },
      };
    case 'surrogate_precision':
      return { name: 'surrogate_precision', args: { ...c.args } };
  }
}

/** The train and validation configs for OML, and what did not carry over. */
export function toOml(cfg: TrainConfig, ctx: MapContext): OmlExport {
  const warnings: string[] = [];
  const warn = (w: string) => warnings.push(w);
  const size = cfg.image_size;
  const a = cfg.transforms_train.args;
  const augments = cfg.transforms_train.name === 'augs' && (a.hflip || a.pad_crop > 0 || a.brightness > 0);
  if (augments)
    warn(
      `transforms_train augs (flip ${a.hflip}, pad_crop ${a.pad_crop}, brightness ${a.brightness}): OML's augs_torch flips and jitters colour (torchvision ColorJitter), no shifts`,
    );
  if (cfg.channels === 1) warn('channels 1: OML reads every image as RGB');
  warn("normalisation: OML normalises pixels with ImageNet's mean and std, where Metric Studio maps them to [-1, 1]");
  for (const [key, on, why] of [
    ['backend', cfg.backend !== 'auto', 'OML runs on accelerator/devices (PyTorch)'],
    ['threads', cfg.threads !== 'auto', 'a wasm setting'],
    ['micro_batch', cfg.micro_batch !== 'auto', 'a wasm-heap setting; a GPU takes the batch whole'],
    ['backbone_lr_scale', cfg.backbone_lr_scale !== 1, 'OML gives the extractor and the criterion one learning rate'],
    ['warmup_steps', cfg.warmup_steps > 0, 'OML has no warm-up; a scheduler (one_cycle) ramps up instead'],
    ['early_stopping_patience', cfg.early_stopping_patience !== null, "OML's pipeline has no early stopping"],
    ['cache_images', cfg.cache_images, 'OML decodes in num_workers loader processes'],
  ] as const)
    if (on) warn(`${key}: no OML counterpart (${why})`);
  if (cfg.metric_args.ndcg_top_k.length) warn("metric_args.ndcg_top_k: OML's EmbeddingMetrics has no NDCG");
  if (
    cfg.criterion.name === 'triplet_with_miner' &&
    cfg.criterion.args.miner.name === 'all_triplets' &&
    cfg.criterion.args.miner.args.max_output_triplets
  )
    warn('criterion miner all_triplets max_output_triplets: kept (OML samples that many triplets too)');

  const ex = extractor(cfg, warn);
  const embDim = cfg.extractor.args.head === 'none' ? 0 : cfg.extractor.args.emb_dim;
  const transformsVal = { name: 'norm_resize_torch', args: { im_size: size } };
  const metricArgs = {
    cmc_top_k: cfg.metric_args.cmc_top_k,
    precision_top_k: cfg.metric_args.precision_top_k,
    map_top_k: cfg.metric_args.map_top_k,
    fmr_vals: cfg.metric_args.fmr_vals,
    pcf_variance: cfg.metric_args.pcf_variance,
    return_only_overall_category: false,
    visualize_only_overall_category: true,
  };
  const hydra = { searchpath: ['pkg://oml.configs'], job: { chdir: true } };
  const s = cfg.scheduling;
  const train: Record<string, unknown> = {
    postfix: cfg.postfix,
    seed: cfg.seed,
    precision: 32,
    accelerator: 'gpu',
    devices: ctx.devices,
    find_unused_parameters: false,
    dataset_root: ctx.datasetRoot,
    dataframe_name: ctx.dataframe,
    logs_root: 'logs',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Hydra's interpolation, for OML to resolve
    logs_folder: '${now:%Y-%m-%d_%H-%M-%S}_${postfix}',
    num_workers: 8,
    cache_size: 0,
    transforms_train: augments ? { name: 'augs_torch', args: { im_size: size } } : transformsVal,
    transforms_val: transformsVal,
    sampler: { name: cfg.sampler.name, args: { ...cfg.sampler.args } },
    bs_val: cfg.bs_val,
    max_epochs: cfg.max_epochs,
    valid_period: cfg.valid_period,
    metric_args: metricArgs,
    log_images: false,
    metric_for_checkpointing: cfg.metric_for_checkpointing,
    mode_for_checkpointing: cfg.mode_for_checkpointing,
    freeze_n_epochs: cfg.freeze_n_epochs,
    extractor: ex,
    criterion: criterion(cfg, ctx, embDim || 0, warn),
    optimizer: {
      name: cfg.optimizer.name,
      args:
        cfg.optimizer.name === 'sgd'
          ? { ...cfg.optimizer.args }
          : { lr: cfg.optimizer.args.lr, weight_decay: cfg.optimizer.args.weight_decay },
    },
    scheduling: s
      ? {
          scheduler: { name: s.scheduler.name, args: { ...s.scheduler.args } },
          scheduler_interval: s.scheduler_interval,
          scheduler_frequency: 1,
          ...(s.scheduler.name === 'reduce_on_plateau' ? { monitor_metric: cfg.metric_for_checkpointing } : {}),
        }
      : null,
    ...(cfg.steps_per_epoch ? { lightning_trainer_extra_args: { limit_train_batches: cfg.steps_per_epoch } } : {}),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Hydra's interpolation, for OML to resolve
    hydra_dir: '${logs_root}/${logs_folder}/',
    tags: [cfg.postfix, 'metric-studio'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Hydra's interpolation, for OML to resolve
    hydra: { run: { dir: '${hydra_dir}' }, ...hydra },
  };
  if (cfg.criterion.name === 'arcface' && embDim === 0)
    warn("criterion arcface with head none: in_features is the backbone's output size, unknown here — set criterion.args.in_features");
  const validation: Record<string, unknown> = {
    accelerator: 'gpu',
    devices: 1,
    precision: 32,
    dataset_root: ctx.datasetRoot,
    dataframe_name: ctx.dataframe,
    bs_val: cfg.bs_val,
    num_workers: 8,
    transforms_val: transformsVal,
    extractor: ex,
    metric_args: metricArgs,
    hydra,
  };
  return { train, validation, warnings };
}

/**
 * Every name and key of an exported config that OML's registries (as read at OML_SOURCE) do not have: what OML
 * would refuse. Empty for a config OML accepts as it is.
 */
export function omlProblems(e: Pick<OmlExport, 'train' | 'validation'>): string[] {
  const problems: string[] = [];
  const keys = (o: Record<string, unknown>, allowed: string[], where: string) => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) problems.push(`${where}: "${k}" is not a key OML reads`);
  };
  const block = (b: unknown, kind: keyof typeof OML.registries, where: string) => {
    const { name, args } = b as Block;
    if (!OML.registries[kind].includes(name)) {
      problems.push(`${where}.name: "${name}" is not in OML's ${kind} registry`);
      return;
    }
    const known = (OML.args as unknown as Record<string, Record<string, string[]> | undefined>)[kind]?.[name];
    if (known) keys(args, known, `${where}.args`);
  };
  const extractor = (b: unknown, where: string) => {
    block(b, 'extractors', where);
    const inner = (b as Block).args.extractor;
    if (inner) extractor(inner, `${where}.args.extractor`);
    const weights = (b as Block).args.weights;
    const pretrained = (OML.pretrained as Record<string, string[]>)[(b as Block).name];
    if (typeof weights === 'string' && pretrained && !pretrained.includes(weights))
      problems.push(`${where}.args.weights: "${weights}" is not a pretrained key of OML's ${(b as Block).name}`);
  };
  const t = e.train;
  keys(t, OML.trainKeys, 'train');
  extractor(t.extractor, 'train.extractor');
  block(t.sampler, 'samplers', 'train.sampler');
  block(t.optimizer, 'optimizers', 'train.optimizer');
  block(t.transforms_train, 'transforms', 'train.transforms_train');
  block(t.transforms_val, 'transforms', 'train.transforms_val');
  block(t.criterion, 'losses', 'train.criterion');
  const miner = (t.criterion as Block).args.miner as Block | undefined;
  if (miner) {
    block(miner, 'miners', 'train.criterion.args.miner');
    if (miner.args.miner) block(miner.args.miner, 'miners', 'train.criterion.args.miner.args.miner');
  }
  const s = t.scheduling as { scheduler: Block } | null;
  if (s) {
    keys(s, OML.schedulingKeys, 'train.scheduling');
    block(s.scheduler, 'schedulers', 'train.scheduling.scheduler');
  }
  keys(t.metric_args as Record<string, unknown>, OML.args.metric_args, 'train.metric_args');
  keys(e.validation, OML.validationKeys, 'validation');
  extractor(e.validation.extractor, 'validation.extractor');
  block(e.validation.transforms_val, 'transforms', 'validation.transforms_val');
  return problems;
}
