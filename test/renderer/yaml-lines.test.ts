import { describe, expect, it } from 'vitest';
import { lineOfPath } from '../../renderer/src/yaml-lines';

const YAML_TEXT = `# comment
max_epochs: -2
sampler:
  name: balance
  args:
    n_labels: 99
    n_instances: 4
optimizer: { name: adam, args: { lr: 0.1 } }
metric_args:
  cmc_top_k: [1, 0]
`;

describe('issue lines', () => {
  it('puts each key path on the line of its key, block or flow style, list items included', () => {
    expect(lineOfPath(YAML_TEXT, 'max_epochs')).toBe(2);
    expect(lineOfPath(YAML_TEXT, 'sampler.args.n_labels')).toBe(6);
    expect(lineOfPath(YAML_TEXT, 'optimizer.args.lr')).toBe(8);
    expect(lineOfPath(YAML_TEXT, 'metric_args.cmc_top_k.1')).toBe(10);
  });
  it('a missing key is shown at its nearest written parent; syntax errors keep their line; the whole config is line 1', () => {
    expect(lineOfPath(YAML_TEXT, 'sampler.args.weight')).toBe(5);
    expect(lineOfPath(YAML_TEXT, 'criterion')).toBe(1);
    expect(lineOfPath(YAML_TEXT, 'line 7')).toBe(7);
    expect(lineOfPath(YAML_TEXT, '(root)')).toBe(1);
  });
});
