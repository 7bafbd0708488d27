// The Zoo page's "Train a head" / "Fine-tune" configs: valid, at the model's size, and a fine-tune that starts where
// the catalogue says the network can be cut (so the layers below are cached), with the schedule fine-tuning needs.
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { TrainConfig } from '../../shared/schemas/config';
import { ZooCatalogEntry } from '../../shared/schemas/zoo';
import { zooRecipe } from '../../renderer/src/zoo-recipe';
import catalog from '../../main/zoo/catalog.json';

const entries = (catalog as { entries: unknown[] }).entries.map((e) => ({
  ...ZooCatalogEntry.parse(e),
  installed: true,
  verified: true,
  origin: 'catalogue' as const,
}));
const dataset = { csvPath: '/data/df.csv', root: '/data' };

describe('zoo recipes', () => {
  it('every catalogue model gets a valid head and fine-tune config at its own input size', () => {
    for (const e of entries)
      for (const mode of ['head', 'finetune'] as const) {
        const cfg = TrainConfig.parse(YAML.parse(zooRecipe(e, mode, dataset)));
        expect(cfg.image_size, e.key).toBe(e.inputSize);
        expect(cfg.extractor.args.model).toBe(e.key);
        expect(cfg.extractor.args.train_from).toBe(mode === 'finetune' ? e.fineTuneFrom : null);
      }
  });

  it('fine-tunes MobileNetV2 from its catalogue cut on cached augmented views, head first, batch norms frozen', () => {
    const e = entries.find((x) => x.key === 'mobilenetv2_nsfwjs')!;
    expect(e.fineTuneFrom).toBe('block_11_expand');
    const text = zooRecipe(e, 'finetune', dataset);
    const cfg = TrainConfig.parse(YAML.parse(text));
    expect(cfg.extractor.args).toMatchObject({ train_from: 'block_11_expand', cache_activations: true, cached_views: 4, bn_frozen: true });
    expect(cfg.transforms_train.name).toBe('augs');
    expect([cfg.freeze_n_epochs, cfg.backbone_lr_scale, cfg.warmup_steps]).toEqual([3, 0.1, 30]);
    expect(text.split('\n')[0]).toMatch(/fine-tuned from block_11_expand on/);
    // A model without a chosen cut says what to set instead.
    const face = entries.find((x) => x.fineTuneFrom === null && x.format !== 'onnx')!;
    expect(zooRecipe(face, 'finetune', dataset).split('\n')[0]).toMatch(/set extractor.args.train_from/);
  });
});
