// The worker channel's messages as zod schemas: each side parses what it receives (the worker a request, the
// supervisor a message), so a worker bundle out of step with the app, or a bug on either side, is a clear error at
// the boundary instead of a job that misreads a field. worker-protocol.ts's types are checked against them below.
import { z } from 'zod';
import { BackendName, BackendReport } from '../../shared/schemas/engine';
import { TrainEvent } from '../../shared/schemas/events';
import { QualityReport } from '../../shared/schemas/quality';
import { ZooNormalisation } from '../../shared/schemas/zoo';
import type { WorkerMessage, WorkerRequest } from './worker-protocol';

const path = z.string().min(1);
const jobId = z.string().min(1);

const EmbedModel = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('checkpoint'), dir: path }),
  z.object({ kind: z.literal('zoo'), key: z.string().min(1), dir: path }),
  z.object({ kind: z.literal('raw-pixels') }),
]);
const EmbedTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dataset'), csv: path, root: path.optional(), all: z.boolean().optional() }),
  z.object({ kind: z.literal('files'), files: z.array(path) }),
]);

export const WorkerRequestSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    runId: z.number().int().positive(),
    configYaml: z.string(),
    baseDir: path,
    outDir: path,
    resume: z.boolean(),
    dataDir: path,
  }),
  z.object({ type: z.literal('stop') }),
  z.object({
    type: z.literal('embed'),
    jobId,
    request: z.object({
      model: EmbedModel,
      target: EmbedTarget,
      out: path,
      bs: z.number().int().positive(),
      backend: z.union([z.literal('auto'), BackendName]),
    }),
  }),
  z.object({ type: z.literal('project'), jobId, request: z.object({ file: path, seed: z.number().int() }) }),
  z.object({
    type: z.literal('import'),
    jobId,
    request: z.object({
      src: path,
      dataDir: path,
      key: z.string().min(1),
      name: z.string().optional(),
      normalisation: ZooNormalisation.optional(),
      inputSize: z.number().int().positive().optional(),
    }),
  }),
  z.object({
    type: z.literal('quality'),
    jobId,
    request: z.object({
      csv: path,
      root: path.optional(),
      file: path,
      k: z.number().int().positive(),
      options: z.object({
        dupThreshold: z.number().optional(),
        votes: z.number().int().optional(),
        minVote: z.number().optional(),
        outlierFactor: z.number().optional(),
      }),
    }),
  }),
  z.object({ type: z.literal('probe') }),
]);

const JobMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job-progress'), jobId, done: z.number(), total: z.number() }),
  z.object({
    type: z.literal('job-done'),
    jobId,
    result: z.object({ file: path, count: z.number().int(), dim: z.number().int(), model: z.string(), backend: z.string().nullable() }),
  }),
  z.object({ type: z.literal('job-failed'), jobId, message: z.string() }),
  z.object({ type: z.literal('projection-result'), jobId, xy: z.array(z.number()) }),
  z.object({ type: z.literal('import-result'), jobId, key: z.string(), inputSize: z.number().int(), embeddingDim: z.number().int() }),
  z.object({ type: z.literal('quality-result'), jobId, report: QualityReport }),
  z.object({ type: z.literal('probe-result'), report: BackendReport }),
]);
/**
 * Step metrics on the channel may be NaN or ±Infinity (a diverging run's last loss: the store keeps it as "not a
 * number" and the run says why it ended), which the API's TrainEvent schema, for clients, does not take.
 */
const anyNumber = z.custom<number>((v) => typeof v === 'number', 'a number');
const StepMetrics = z.object({
  type: z.literal('metrics'),
  runId: z.number().int(),
  points: z.array(z.object({ step: z.number().int(), epoch: z.number().int(), values: z.record(z.string(), anyNumber) })),
});
export const WorkerMessageSchema = z.union([StepMetrics, TrainEvent, JobMessageSchema]);

/** A message that is not what the other side sends: named by its type and the first field that is wrong. */
export class ChannelError extends Error {}

function parse<T>(schema: z.ZodType<T>, message: unknown, side: string): T {
  const r = schema.safeParse(message);
  if (r.success) return r.data;
  const type = (message as { type?: unknown } | null)?.type;
  const issue = r.error.issues[0]!;
  throw new ChannelError(
    `${side} got a malformed message (type ${JSON.stringify(type)}): ${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
}
export const parseWorkerRequest = (m: unknown): WorkerRequest => parse(WorkerRequestSchema, m, 'The worker');
const JOB_TYPES = new Set<unknown>(JobMessageSchema.options.map((o) => o.shape.type.value));
/** The schema of a message's kind, picked by its type, so a refusal names the field (a union names only its root). */
const schemaOf = (type: unknown): z.ZodType<WorkerMessage> =>
  type === 'metrics' ? StepMetrics : JOB_TYPES.has(type) ? JobMessageSchema : TrainEvent;
export const parseWorkerMessage = (m: unknown): WorkerMessage =>
  parse(schemaOf((m as { type?: unknown } | null)?.type), m, 'The supervisor');

// Compile-time: what a schema accepts is what its side's type says, so the schemas cannot drift from the protocol.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const REQUESTS_MATCH: Same<z.output<typeof WorkerRequestSchema>, WorkerRequest> = true;
export const MESSAGES_MATCH: Same<z.output<typeof WorkerMessageSchema>, WorkerMessage> = true;

/**
 * The supervisor's side: each message from a worker parsed before `listener` sees it; a malformed one is said on
 * stderr and ends that worker (what it sends can no longer be trusted), which its supervisor then reports as it
 * reports any worker that died.
 */
export function fromWorker(listener: (m: WorkerMessage) => void, kill: () => void): (m: unknown) => void {
  return (m) => {
    let message: WorkerMessage;
    try {
      message = parseWorkerMessage(m);
    } catch (e) {
      console.error(e instanceof Error ? e.message : String(e));
      kill();
      return;
    }
    listener(message);
  };
}
