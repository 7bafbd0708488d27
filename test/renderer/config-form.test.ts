// The Train form and the YAML edit one document: a field set in the form lands in the YAML with its comments and
// order kept, the choices come from the config schema, and switching a block's kind keeps only the args it accepts.
import { mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { TrainConfig } from '../../shared/schemas/config';
import { coerce, infoOf, NO_SCHEDULER, readConfig, setField } from '../../renderer/src/config-form';
import ConfigForm from '../../renderer/src/components/ConfigForm.vue';

const YAML_TEXT = `# my run
dataset: df.csv  # relative to this file
max_epochs: 30
sampler:
  name: balance
  args: { n_labels: 4, n_instances: 4 }
extractor:
  name: small_cnn
  args: { emb_dim: 64 }
criterion:
  name: triplet_with_miner
  args:
    margin: 0.2
    miner: { name: all_triplets, args: {} }
optimizer:
  name: adam
  args: { lr: 0.001 }
`;

describe('config form model', () => {
  it('sets a field in place: comments, order and the rest of the document survive, and the result still parses', () => {
    const out = setField(YAML_TEXT, ['max_epochs'], 5);
    expect(out).toContain('# my run');
    expect(out).toContain('dataset: df.csv # relative to this file');
    expect(out.indexOf('max_epochs: 5')).toBeLessThan(out.indexOf('sampler:'));
    expect(YAML.parse(out)).toEqual({ ...YAML.parse(YAML_TEXT), max_epochs: 5 });
    expect(TrainConfig.safeParse(YAML.parse(setField(out, ['sampler', 'args', 'n_labels'], 2))).success).toBe(true);
    // One-line maps stay one line, even past 80 characters (the YAML library folds them by default).
    expect(setField(out, ['sampler', 'args', 'n_labels'], 2)).toContain('  args: { n_labels: 2, n_instances: 4 }\n');
    const long = 'metric_args: { cmc_top_k: [1, 5, 10, 20], precision_top_k: [5, 10], map_top_k: [5, 10], pcf_variance: [0.5] }';
    const kept = setField(`${YAML_TEXT}${long}\n`, ['max_epochs'], 2).split('\n');
    expect(kept.find((l) => l.startsWith('metric_args:'))).toMatch(
      /^metric_args: \{ cmc_top_k: \[ ?1, 5, 10, 20 ?\],.*pcf_variance: \[ ?0\.5 ?\] \}$/,
    );
  });

  it('offers the schema’s choices, and switching a block keeps only the args the new kind accepts', () => {
    const cfg = readConfig(YAML_TEXT)!;
    expect(infoOf(['optimizer', 'name'], cfg)).toMatchObject({ kind: 'choice', options: ['adam', 'adamw', 'sgd'] });
    expect(infoOf(['sampler', 'name'], cfg)).toMatchObject({ options: ['balance', 'category_balance', 'distinct_category_balance'] });
    expect(infoOf(['channels'], cfg)).toMatchObject({ options: [1, 3] });
    expect(infoOf(['sampler', 'args', 'n_instances'], cfg)).toMatchObject({ kind: 'number', integer: true, min: 2 });
    // What an absent key runs with, from the schema's defaults.
    expect(infoOf(['mode_for_checkpointing'], cfg)).toMatchObject({ options: ['max', 'min'], default: 'max' });
    expect(infoOf(['optimizer', 'args', 'weight_decay'], cfg)).toMatchObject({ kind: 'number', default: 0 });
    expect(infoOf(['threads'], cfg)).toMatchObject({ default: 'auto' });
    expect(infoOf(['scheduling', 'scheduler', 'name'], cfg)).toMatchObject({
      options: [NO_SCHEDULER, 'step', 'multi_step', 'cosine_annealing', 'one_cycle', 'reduce_on_plateau'],
    });

    const toCategories = YAML.parse(setField(YAML_TEXT, ['sampler', 'name'], 'category_balance'));
    expect(toCategories.sampler).toEqual({ name: 'category_balance', args: { n_labels: 4, n_instances: 4 } });
    const toArcface = YAML.parse(setField(YAML_TEXT, ['criterion', 'name'], 'arcface'));
    expect(toArcface.criterion).toEqual({ name: 'arcface', args: {} });
    const toHard = YAML.parse(setField(YAML_TEXT, ['criterion', 'args', 'miner', 'name'], 'hard_triplets'));
    expect(toHard.criterion.args).toEqual({ margin: 0.2, miner: { name: 'hard_triplets', args: {} } });
  });

  it('a scheduler is created by picking one and removed by "none"; empty numbers become null or go away', () => {
    const withStep = setField(YAML_TEXT, ['scheduling', 'scheduler', 'name'], 'step');
    expect(YAML.parse(withStep).scheduling).toEqual({ scheduler_interval: 'epoch', scheduler: { name: 'step', args: {} } });
    expect(YAML.parse(setField(withStep, ['scheduling', 'scheduler', 'name'], 'cosine_annealing')).scheduling.scheduler.name).toBe(
      'cosine_annealing',
    );
    expect(YAML.parse(setField(withStep, ['scheduling', 'scheduler', 'name'], NO_SCHEDULER)).scheduling).toBeNull();
    const cfg = readConfig(YAML_TEXT)!;
    expect(coerce(infoOf(['criterion', 'args', 'margin'], cfg), '')).toBeNull();
    expect(YAML.parse(setField(YAML_TEXT, ['criterion', 'args', 'margin'], null)).criterion.args.margin).toBeNull();
    expect('max_epochs' in YAML.parse(setField(YAML_TEXT, ['max_epochs'], null))).toBe(false);
    expect(coerce(infoOf(['channels'], cfg), '3')).toBe(3);
    expect(coerce(infoOf(['threads'], cfg), '4')).toBe(4);
    expect(coerce(infoOf(['threads'], cfg), 'auto')).toBe('auto');
  });
});

describe('ConfigForm', () => {
  it('keeps what the user is typing when the form re-renders before the field is committed', async () => {
    // A validation answer (new issues, a new plan) re-renders the form while a number is being typed: Vue would
    // write the model's value back into the input and the edit would be lost when the field commits.
    const w = mount(ConfigForm, { props: { yaml: YAML_TEXT, issues: [], plan: null } });
    const input = w.find<HTMLInputElement>('[name="max_epochs"]');
    input.element.value = '12';
    await input.trigger('input');
    await w.setProps({ issues: [{ path: 'sampler.args.n_labels', message: 'too many' }] });
    expect(input.element.value).toBe('12');
    await input.trigger('change');
    expect(YAML.parse(w.emitted('update:yaml')!.at(-1)![0] as string).max_epochs).toBe(12);
    // Committed, the field shows the model again: the YAML's value from then on.
    await w.setProps({ yaml: setField(YAML_TEXT, ['max_epochs'], 7) });
    expect(input.element.value).toBe('7');
  });

  it('sends what is typed in a number or text field to the YAML while typing, without waiting for the field to lose focus', async () => {
    vi.useFakeTimers();
    try {
      const w = mount(ConfigForm, { props: { yaml: YAML_TEXT, issues: [], plan: null } });
      for (const [name, typed, read] of [
        ['max_epochs', '45', (d: Record<string, unknown>) => d.max_epochs],
        ['optimizer.args.lr', '0.005', (d: Record<string, { args: { lr: number } }>) => d.optimizer!.args.lr],
      ] as const) {
        const input = w.find<HTMLInputElement>(`[name="${name}"]`);
        for (let n = 1; n <= typed.length; n++) {
          input.element.value = typed.slice(0, n);
          await input.trigger('input');
          vi.advanceTimersByTime(100);
        }
        vi.advanceTimersByTime(300);
        const doc = YAML.parse(w.emitted('update:yaml')!.at(-1)![0] as string);
        expect((read as (d: unknown) => unknown)(doc), name).toBe(Number(typed));
        expect(input.element.value).toBe(typed);
        await w.setProps({ yaml: w.emitted('update:yaml')!.at(-1)![0] as string });
      }
      // One edit for the keys typed in a row, not one per key.
      expect(w.emitted('update:yaml')!.length).toBe(2);
      // Half a number waits: nothing is written for an input that reads as empty.
      const epochs = w.find<HTMLInputElement>('[name="max_epochs"]');
      epochs.element.value = '';
      await epochs.trigger('input');
      vi.advanceTimersByTime(1000);
      expect(w.emitted('update:yaml')!.length).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('renders the fields of this config, shows a problem at its field, and emits the edited YAML', async () => {
    const w = mount(ConfigForm, {
      props: {
        yaml: YAML_TEXT,
        issues: [{ path: 'sampler.args.n_labels', message: 'must be 1 < n_labels <= 3, 4 given' }],
        plan: {
          batchSize: 16,
          batchesPerEpoch: 5,
          totalSteps: 150,
          trainLabels: 20,
          trainImages: 400,
          labelsPerEpoch: 20,
          tripletsPerBatch: 16 * 3 * 12,
          validation: { queries: 100, galleries: 100, labels: 10, relevantPerQuery: 9 },
        },
      },
    });
    // A triplet loss shows margin and miner, not ArcFace's m; a balance sampler hides n_categories.
    expect(w.find('[name="criterion.args.margin"]').exists()).toBe(true);
    expect(w.find('[name="criterion.args.m"]').exists()).toBe(false);
    expect(w.find('[name="sampler.args.n_categories"]').exists()).toBe(false);
    expect(w.find('label.bad').text()).toContain('must be 1 < n_labels <= 3, 4 given');
    expect(w.find('[data-testid=train-plan]').text()).toContain('576');
    await w.find('[name="sampler.name"]').setValue('category_balance');
    const emitted = w.emitted('update:yaml')!.at(-1)![0] as string;
    expect(YAML.parse(emitted).sampler.name).toBe('category_balance');
    await w.setProps({ yaml: emitted });
    expect(w.find('[name="sampler.args.n_categories"]').exists()).toBe(true);
    await w.setProps({ yaml: 'max_epochs: [1,' });
    expect(w.text()).toContain('The YAML does not parse');
  });

  it('puts a problem at its own field only, and one no field shows at the select that picks its block (#31 item 10)', async () => {
    const bad = (issues: { path: string; message: string }[]) =>
      mount(ConfigForm, { props: { yaml: YAML_TEXT, issues, plan: null } })
        .findAll('label.bad')
        .map((l) => l.find('[name]').attributes('name'));
    expect(bad([{ path: 'optimizer.args.lr', message: 'must be > 0' }])).toEqual(['optimizer.args.lr']);
    expect(bad([{ path: 'optimizer.args.betas', message: 'unknown key' }])).toEqual(['optimizer.name']);
    expect(bad([{ path: 'criterion.args.miner.args.k', message: 'unknown key' }])).toEqual(['criterion.args.miner.name']);
  });
});
