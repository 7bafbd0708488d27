import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The first python that can import `module` (the one on PATH first: a pip numpy brings an optimised OpenBLAS,
 * while Debian's may run on the reference BLAS; Debian's python3-torch lives under /usr/bin/python3).
 */
export function pythonWith(module: string): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (py.startsWith('/') && !existsSync(py)) continue;
    if (spawnSync(py, ['-c', `import ${module}`], { env: referenceEnv() }).status === 0) return py;
  }
  return null;
}

/**
 * The environment for reference runs: some machines set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE to keep old
 * OpenBLAS builds correct, which slows a current one — the reference must run at its real speed.
 */
export function referenceEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

const lastJson = (s: string) => JSON.parse(s.trim().split('\n').pop()!);

/** Training throughput of one net on our engine and in PyTorch CPU, both measured now, as a ratio. */
export function benchTraining(kind: 'tiny' | 'cnn64' | 'mnv2' | 'embed', steps: number): string[] {
  const label = {
    tiny: 'small CNN, 28×28×1, batch 64',
    cnn64: 'small CNN, 64×64×1, batch 128 (32 labels × 4)',
    mnv2: 'MobileNetV2-0.35, 64×64×3, batch 32',
    embed: '',
  }[kind];
  const lines = [
    kind === 'embed'
      ? 'embedding (inference, batch-norm in eval mode): MobileNetV2-1.0, 224×224×3, batch 32'
      : `training step (forward, batch-hard triplet, backward, Adam): ${label}`,
  ];
  const ourRun = (threads: string) => {
    const run = spawnSync(process.execPath, [path.resolve('bin/run-ts.mjs'), 'bench/training-run.ts', kind, String(steps), threads], {
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(run.stderr);
    return lastJson(run.stdout) as { img_per_s: number; backend: string; threads: number };
  };
  const single = ourRun('1');
  const mine = ourRun('auto');
  lines.push(`  Metric Studio (tfjs ${single.backend}, 1 thread):       ${single.img_per_s.toFixed(0)} img/s`);
  lines.push(
    `  Metric Studio (tfjs ${mine.backend}, ${mine.threads} thread(s)): ${mine.img_per_s.toFixed(0)} img/s (${(mine.img_per_s / single.img_per_s).toFixed(2)}× one thread)`,
  );
  const python = pythonWith('torch');
  const py = python
    ? spawnSync(python, ['bench/reference/torch_train.py', kind, String(steps)], { encoding: 'utf8', env: referenceEnv() })
    : { status: 1, stderr: 'no python with torch (apt-get install python3-torch)', stdout: '' };
  if (py.status !== 0) {
    lines.push(`  PyTorch reference: not run (${(py.stderr || 'python3-torch missing').split('\n').filter(Boolean).pop()})`);
    return lines;
  }
  const ref = lastJson(py.stdout) as { img_per_s: number; threads: number; torch: string; blas: string };
  lines.push(`  PyTorch ${ref.torch} CPU (${ref.threads} thread(s), BLAS ${ref.blas}):      ${ref.img_per_s.toFixed(0)} img/s`);
  // Debian's torch takes whatever libblas.so.3 points to; the netlib reference BLAS would flatter every ratio here.
  if (ref.blas === 'blas') lines.push('  note: that is the reference BLAS, not a fair reference: apt-get install libopenblas0-pthread');
  lines.push(`  ratio (ours / PyTorch): ${(mine.img_per_s / ref.img_per_s).toFixed(2)}×`);
  return lines;
}
