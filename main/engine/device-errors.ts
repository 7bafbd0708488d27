/**
 * A batch that does not fit the device, said for people. On WebGPU an allocation that fails — out of memory, or a
 * tensor bigger than the largest buffer a shader may bind — is not thrown: Dawn reports it beside the queue and the
 * kernels go on returning zeros, so the trainer looks after every step (`takeDeviceError`). On wasm the 4 GB heap
 * runs out with a thrown abort. Either way the run stops with the batch size to lower, not a shader message.
 */
import { takeDeviceError } from './webgpu';

const MEMORY = [
  /out ?of ?memory/i,
  /\bOOM\b/,
  /larger than the maximum (storage )?buffer binding size/i,
  /maxBufferSize|maxStorageBufferBindingSize/,
  /Array buffer allocation failed/i,
  /Invalid (typed )?array length/i,
  /Cannot allocate Wasm memory/i,
];

export function isMemoryError(message: string): boolean {
  return MEMORY.some((re) => re.test(message));
}

/** A batch and the config setting that sizes it: the sampler's args while training, bs_val while validating. */
export interface BatchOrigin {
  size: number;
  /** "the sampler's n_labels × n_instances (2 × 10)", "bs_val (150)". */
  setting: string;
}

export class BatchTooLargeError extends Error {
  constructor(
    readonly batch: BatchOrigin,
    cause: string,
  ) {
    super(
      `The device ran out of memory with a batch of ${batch.size} images: lower ${batch.setting} or image_size, and start ` +
        `again. (${cause.split('\n')[0]})`,
    );
    this.name = 'BatchTooLargeError';
  }
}

/** The error a failure should end the run with: memory failures name the batch, others keep their message. */
export function explainFailure(err: unknown, batch: BatchOrigin): unknown {
  const message = err instanceof Error ? err.message : String(err);
  return isMemoryError(message) ? new BatchTooLargeError(batch, message) : err;
}

/**
 * Device work sized by `batch`: its thrown memory failures and what Dawn reported meanwhile both end it with the
 * batch to lower.
 */
export async function onDevice<T>(batch: BatchOrigin, work: Promise<T>): Promise<T> {
  const result = await work.catch((err: unknown) => {
    throw explainFailure(err, batch);
  });
  checkDevice(batch);
  return result;
}

/** Throws what Dawn reported since the last look, if anything (a no-op off webgpu). */
export function checkDevice(batch: BatchOrigin): void {
  const e = takeDeviceError();
  if (!e) return;
  const cause = `${e.kind}: ${e.message}`;
  if (e.kind === 'GPUOutOfMemoryError' || isMemoryError(e.message)) throw new BatchTooLargeError(batch, cause);
  throw new Error(`The GPU reported an error and its results cannot be trusted: ${cause.split('\n')[0]}`);
}
