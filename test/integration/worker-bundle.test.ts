import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfig } from '../../shared/schemas/config';
import type { TrainEvent } from '../../shared/schemas/events';
import { appRoot } from '../../main/paths';
import { seenLabelsCsv, smallConfig } from '../helpers/training';
import { tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('ms-bundle-')));
afterAll(() => cleanup());

describe('the bundled training worker (what the packaged app runs)', () => {
  it('trains from dist/main/worker.cjs without tsx and reports a final status', async () => {
    const bundle = path.join(appRoot(), 'dist', 'main', 'worker.cjs');
    if (!existsSync(bundle)) throw new Error('Build first: npm run build');
    const csv = seenLabelsCsv(dir);
    // Two threads: the bundle must find tfjs's threaded build and its pthread worker outside the bundle too.
    const cfg = TrainConfig.parse(smallConfig(csv, { max_epochs: 1, valid_period: 1, threads: 2 }));
    const child = fork(bundle, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const events: TrainEvent[] = [];
    const finished = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    child.on('message', (m) => events.push(m as TrainEvent));
    child.send({
      type: 'start',
      runId: 5,
      configYaml: YAML.stringify(cfg),
      baseDir: dir,
      outDir: path.join(dir, 'out'),
      resume: false,
      dataDir: dir,
    });
    await finished;
    const statuses = events.filter((e) => e.type === 'status').map((e) => (e as { status: string }).status);
    expect(statuses).toEqual(['running', 'finished']);
    expect(events.some((e) => e.type === 'checkpoint' && e.kind === 'last')).toBe(true);
    expect(events.find((e) => e.type === 'backend')).toMatchObject({ name: 'wasm', threads: 2 });
  }, 60_000);
});
