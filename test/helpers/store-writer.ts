// A separate process that streams metrics into the run store as the training supervisor does (batches of 100 rows
// per transaction) until it is killed.
import { existsSync } from 'node:fs';
import { RunStore } from '../../main/store/runs';

// usage: store-writer.ts DATA_DIR [GATE_FILE] — with a gate, waits for that file so writers open at one moment.
const gate = process.argv[3];
if (gate) while (!existsSync(gate)) await new Promise((r) => setTimeout(r, 2));
const store = await RunStore.open(process.argv[2]!);
const runId = await store.createRun({ name: `writer-${process.pid}`, status: 'running' });
await store.setStatus(runId, 'running', { pid: process.pid });
process.stdout.write(`ready ${runId}\n`);
for (let step = 0; ; step++) {
  const rows = Array.from({ length: 100 }, (_, i) => ({ step, epoch: 0, key: `k${i}`, value: step + i / 100 }));
  await store.logMetrics(runId, rows);
  // Committed batches, for the test to wait on (every 5th: the stream stays cheap).
  if (step % 5 === 4) process.stdout.write(`wrote ${step + 1}\n`);
}
