import YAML from 'yaml';
import type { TrainConfigInput } from '../../shared/schemas/config';
import type { ZooEntry } from '../../shared/schemas/zoo';

/**
 * A training config that starts from a zoo model on a dataset: `head` trains a linear head on the frozen
 * backbone's cached features (seconds); `finetune` also trains the backbone from the catalogue's `fineTuneFrom` on,
 * on cached activations with augmented views: the head first, then the backbone at a tenth of its rate, batch
 * norms frozen.
 */
export function zooRecipe(entry: ZooEntry, mode: 'head' | 'finetune', dataset: { csvPath: string; root?: string }): string {
  const from = mode === 'finetune' ? entry.fineTuneFrom : null;
  const config: TrainConfigInput = {
    postfix: `${entry.key}_${mode}`,
    seed: 42,
    dataset: dataset.csvPath,
    dataset_root: dataset.root || null,
    image_size: entry.inputSize,
    channels: entry.channels,
    cache_images: mode === 'head',
    ...(mode === 'finetune' ? { transforms_train: { name: 'augs', args: { hflip: true, pad_crop: 16, brightness: 0.2 } } } : {}),
    sampler: { name: 'balance', args: { n_labels: 4, n_instances: mode === 'head' ? 8 : 4 } },
    max_epochs: mode === 'head' ? 200 : 60,
    valid_period: mode === 'head' ? 50 : 10,
    bs_val: 64,
    ...(mode === 'finetune' ? { freeze_n_epochs: 3, backbone_lr_scale: 0.1, warmup_steps: 30 } : {}),
    metric_args: { cmc_top_k: [1, 5], precision_top_k: [5], map_top_k: [10], pcf_variance: [0.5] },
    extractor: {
      name: 'zoo',
      args: {
        model: entry.key,
        head: 'linear',
        emb_dim: 128,
        normalise_features: true,
        ...(from ? { train_from: from, cached_views: 4, bn_frozen: true } : {}),
      },
    },
    criterion: { name: 'triplet_with_miner', args: { margin: 0.2, miner: { name: 'all_triplets', args: {} } } },
    optimizer: { name: 'adam', args: { lr: 0.001 } },
  };
  const note =
    mode === 'head'
      ? `# ${entry.name}, frozen: its features are computed once and cached; only the linear head trains.\n`
      : from
        ? `# ${entry.name} fine-tuned from ${from} on: the layers below it run once per image and augmented view (cached), the head trains alone for 3 epochs, then the backbone at a tenth of its rate.\n`
        : `# ${entry.name}: set extractor.args.train_from to the first layer to fine-tune (every layer before it stays frozen).\n`;
  return note + YAML.stringify(config);
}
