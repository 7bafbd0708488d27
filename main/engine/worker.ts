// A worker process: one job per process — a training run, an embedding job or a backend probe — so TensorFlow.js
// never runs in the app's main process. It streams messages back and exits when the job ends.
import YAML from 'yaml';
import { probeBackends } from './backends';
import { readEmbeddingFile } from '../retrieval/embedding-file';
import { umap2 } from '../retrieval/umap';
import { runEmbedJob } from './embed/job';
import { parseTrainConfig } from './train/config-file';
import { train } from './train/trainer';
import { port } from './worker-port';
import type { WorkerRequest } from './worker-protocol';

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
      emit: (e) => p.send(e),
      shouldStop: () => stopRequested,
    });
    p.send({ type: 'status', runId, status: result.status });
    p.exit(0);
  } catch (err) {
    p.send({ type: 'log', runId, level: 'error', message: err instanceof Error && err.stack ? err.stack : errorText(err) });
    p.send({ type: 'status', runId, status: 'failed', error: errorText(err) });
    p.exit(1);
  }
}

async function runEmbedding(msg: Extract<WorkerRequest, { type: 'embed' }>): Promise<void> {
  const { jobId } = msg;
  try {
    const result = await runEmbedJob(msg.request, (done, total) => p.send({ type: 'job-progress', jobId, done, total }));
    p.send({ type: 'job-done', jobId, result });
    p.exit(0);
  } catch (err) {
    p.send({ type: 'job-failed', jobId, message: errorText(err) });
    p.exit(1);
  }
}

async function runProjection(msg: Extract<WorkerRequest, { type: 'project' }>): Promise<void> {
  const { jobId } = msg;
  try {
    const { embeddings } = await readEmbeddingFile(msg.request.file);
    const xy = umap2(embeddings, msg.request.seed, (done, total) => p.send({ type: 'job-progress', jobId, done, total }));
    p.send({ type: 'projection-result', jobId, xy: Array.from(xy) });
    p.exit(0);
  } catch (err) {
    p.send({ type: 'job-failed', jobId, message: errorText(err) });
    p.exit(1);
  }
}

async function runImport(msg: Extract<WorkerRequest, { type: 'import' }>): Promise<void> {
  const { jobId, request: r } = msg;
  try {
    const { importZooModel } = await import('./zoo-import');
    const m = await importZooModel(r.src, r.dataDir, { key: r.key, name: r.name, normalisation: r.normalisation, inputSize: r.inputSize });
    p.send({ type: 'import-result', jobId, key: m.entry.key, inputSize: m.entry.inputSize, embeddingDim: m.entry.embeddingDim });
    p.exit(0);
  } catch (err) {
    p.send({ type: 'job-failed', jobId, message: errorText(err) });
    p.exit(1);
  }
}

async function runQuality(msg: Extract<WorkerRequest, { type: 'quality' }>): Promise<void> {
  const { jobId } = msg;
  try {
    const { runQualityJob } = await import('./quality-job');
    p.send({ type: 'quality-result', jobId, report: await runQualityJob(msg.request) });
    p.exit(0);
  } catch (err) {
    p.send({ type: 'job-failed', jobId, message: errorText(err) });
    p.exit(1);
  }
}

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
