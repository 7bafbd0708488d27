// The shipped recipes: every one is a valid config; the one a new user gets first (the Train page opens the first
// recipe whose dataset exists) is the start-here recipe on the shipped sample, whose table has every label in both
// splits — the protocol on which a first run visibly beats the untrained network (README: "Your first run").
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { TrainConfig } from '../../shared/schemas/config';
import { SPLIT_TRAIN, SPLIT_VALIDATION } from '../../main/dataset/table';
import { loadDataset } from '../../main/services/datasets';
import { listRecipes } from '../../main/services/train-requests';

describe('shipped recipes', () => {
  it('all parse against the config schema', () => {
    const recipes = listRecipes();
    expect(recipes.length).toBeGreaterThanOrEqual(6);
    for (const r of recipes) {
      const parsed = TrainConfig.safeParse(YAML.parse(r.yaml));
      expect(parsed.success, `${r.name}: ${parsed.error?.message}`).toBe(true);
    }
  });

  it('the first one a new user gets trains on the shipped sample with every label seen in both splits', async () => {
    const first = listRecipes().find((r) => r.datasetExists)!;
    expect(first.name).toBe('fashion-mnist-mini-seen');
    const cfg = TrainConfig.parse(YAML.parse(first.yaml));
    expect(cfg.extractor.name).not.toBe('zoo'); // nothing to download first
    const table = await loadDataset(path.resolve(path.dirname(first.path), cfg.dataset));
    const labels = (split: number) => new Set(table.label.filter((_, i) => table.split[i] === split));
    expect([...labels(SPLIT_TRAIN)].sort()).toEqual([...labels(SPLIT_VALIDATION)].sort());
    expect(labels(SPLIT_TRAIN).size).toBe(10);
    // The sampler fits: n_labels of the 10, n_instances within each label's 30 training images.
    expect(cfg.sampler.name).toBe('balance');
    const args = cfg.sampler.args as { n_labels: number; n_instances: number };
    expect(args.n_labels).toBeLessThanOrEqual(10);
    expect(args.n_instances).toBeLessThanOrEqual(
      table.label.filter((l, i) => l === table.label[0] && table.split[i] === SPLIT_TRAIN).length,
    );
  });
});
