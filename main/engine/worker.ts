// A worker process: one job per process — a training run, an embedding job or a backend probe — so TensorFlow.js
// never runs in the app's main process. It streams messages back and exits when the job ends.
import YAML from 'yaml';
import { probeBackends } from './backends';
import { readEmbeddingFile } from '../retrieval/embedding-file';
import { umap2 } from '../retrieval/umap';
import { runEmbedJob } from './embed/job';
import { parseTrainConfig } from './train/config-file';
import { train } from './train/trainer';
import { journalled } from './train/metrics-journal';
import { port } from './worker-port';
import { storageMessage } from '../disk-errors';
import type { WorkerMessage, WorkerRequest } from './worker-protocol';

const p = port();
let stopRequested = false;
let started = false;
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function runTraining(msg: Extract<WorkerRequest, { type: 'start' }>): Promise<void> {
  const { runId } = msg;
  try {
    const config = parseTrainConfig(YAML.parse(msg.configYaml), 'config');
    p.send({ type: 'status', runId, status: 'running' });
    const result = await train({
      config,
      baseDir: msg.baseDir,
      outDir: msg.outDir,
      runId,
      resume: msg.resume,
      dataDir: msg.dataDir,
      emit: journalled(msg.outDir, (e) => p.send(e)),
      shouldStop: () => stopRequested,
    });
    p.send({ type: 'status', runId, status: result.status });
    p.exit(0);
  } catch (caught) {
    const full = storageMessage(caught, msg.outDir);
    const err = full ? new Error(full) : caught;
    // A message users read; the stack only for bug reports (METRIC_STUDIO_DEBUG=1), as the CLI does.
    const debug = process.env.METRIC_STUDIO_DEBUG === '1' && err instanceof Error && err.stack;
    p.send({ type: 'log', runId, level: 'error', message: debug ? (err as Error).stack! : errorText(err) });
    p.send({ type: 'status', runId, status: 'failed', error: errorText(err) });
    p.exit(1);
  }
}

/** A job's end: its result message and exit 0, or `job-failed` with the reason and exit 1. */
async function finish(jobId: string, work: () => Promise<WorkerMessage>): Promise<void> {
  try {
    p.send(await work());
    p.exit(0);
  } catch (err) {
    p.send({ type: 'job-failed', jobId, message: errorText(err) });
    p.exit(1);
  }
}

const runEmbedding = ({ jobId, request }: Extract<WorkerRequest, { type: 'embed' }>) =>
  finish(jobId, async () => ({
    type: 'job-done',
    jobId,
    result: await runEmbedJob(request, (done, total) => p.send({ type: 'job-progress', jobId, done, total })),
  }));

const runProjection = ({ jobId, request }: Extract<WorkerRequest, { type: 'project' }>) =>
  finish(jobId, async () => {
    const { embeddings } = await readEmbeddingFile(request.file);
    const xy = umap2(embeddings, request.seed, (done, total) => p.send({ type: 'job-progress', jobId, done, total }));
    return { type: 'projection-result', jobId, xy: Array.from(xy) };
  });

const runImport = ({ jobId, request: r }: Extract<WorkerRequest, { type: 'import' }>) =>
  finish(jobId, async () => {
    const { importZooModel } = await import('./zoo-import');
    const m = await importZooModel(r.src, r.dataDir, { key: r.key, name: r.name, normalisation: r.normalisation, inputSize: r.inputSize });
    return { type: 'import-result', jobId, key: m.entry.key, inputSize: m.entry.inputSize, embeddingDim: m.entry.embeddingDim };
  });

const runQuality = ({ jobId, request }: Extract<WorkerRequest, { type: 'quality' }>) =>
  finish(jobId, async () => {
    const { runQualityJob } = await import('./quality-job');
    return { type: 'quality-result', jobId, report: await runQualityJob(request) };
  });

p.onMessage((msg) => {
  if (msg.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (started) return;
  started = true;
  if (msg.type === 'start') void runTraining(msg);
  else if (msg.type === 'embed') void runEmbedding(msg);
  else if (msg.type === 'project') void runProjection(msg);
  else if (msg.type === 'import') void runImport(msg);
  else if (msg.type === 'quality') void runQuality(msg);
  else if (msg.type === 'probe') {
    void probeBackends().then((report) => {
      p.send({ type: 'probe-result', report });
      p.exit(0);
    });
  }
});
