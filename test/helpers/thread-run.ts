// Child process for the threads test: trains the small config with the thread count from argv and prints the
// backend it got and every step's loss as one JSON line. A process of its own, because the wasm backend fixes
// its thread count when it first initialises; it ends on its own (pool threads must not hold a process open).
import path from 'node:path';
import { TrainConfig } from '../../shared/schemas/config';
import type { TrainEvent } from '../../shared/schemas/events';
import { train } from '../../main/engine/train/trainer';
import { metricPoints, seenLabelsCsv, smallConfig } from './training';

const [threadsArg, dir] = process.argv.slice(2);
const csv = seenLabelsCsv(dir!);
const events: TrainEvent[] = [];
const threads = Number(threadsArg);
await train({
  config: TrainConfig.parse(smallConfig(csv, { threads, max_epochs: 2, valid_period: 2 })),
  baseDir: dir!,
  outDir: path.join(dir!, `threads-${threads}`),
  runId: 1,
  eventIntervalMs: 0,
  emit: (e) => events.push(e),
  shouldStop: () => false,
});
const backend = events.find((e) => e.type === 'backend');
const losses = metricPoints(events).flatMap((p) => (p.values.loss === undefined ? [] : [[p.step, p.values.loss]]));
const metric = metricPoints(events).flatMap((p) => (p.values['OVERALL/cmc/1'] === undefined ? [] : [p.values['OVERALL/cmc/1']]));
process.stdout.write(`${JSON.stringify({ backend, losses, metric })}\n`);
