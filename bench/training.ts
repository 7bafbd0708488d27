import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Debian's python (python3-torch, python3-numpy) when present, else whatever python3 is on PATH. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const lastJson = (s: string) => JSON.parse(s.trim().split('\n').pop()!);

/** Training throughput of one net on our engine and in PyTorch CPU, both measured now, as a ratio. */
export function benchTraining(kind: 'tiny' | 'mnv2', steps: number): string[] {
  const label = kind === 'tiny' ? 'small CNN, 28×28×1, batch 64' : 'MobileNetV2-0.35, 64×64×3, batch 32';
  const lines = [`training step (forward, batch-hard triplet, backward, Adam): ${label}`];
  const ours = spawnSync(process.execPath, [path.resolve('bin/run-ts.mjs'), 'bench/training-run.ts', kind, String(steps)], { encoding: 'utf8' });
  if (ours.status !== 0) throw new Error(ours.stderr);
  const mine = lastJson(ours.stdout) as { img_per_s: number; backend: string; threads: number };
  lines.push(`  Metric Studio (tfjs ${mine.backend}, ${mine.threads} thread(s)): ${mine.img_per_s.toFixed(0)} img/s`);
  const py = spawnSync(PYTHON, ['bench/reference/torch_train.py', kind, String(steps)], { encoding: 'utf8' });
  if (py.status !== 0) {
    lines.push(`  PyTorch reference: not run (${(py.stderr || 'python3-torch missing').split('\n').filter(Boolean).pop()})`);
    return lines;
  }
  const ref = lastJson(py.stdout) as { img_per_s: number; threads: number; torch: string };
  lines.push(`  PyTorch ${ref.torch} CPU (${ref.threads} thread(s)):      ${ref.img_per_s.toFixed(0)} img/s`);
  lines.push(`  ratio (ours / PyTorch): ${(mine.img_per_s / ref.img_per_s).toFixed(2)}×`);
  return lines;
}
