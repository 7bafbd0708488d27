import { readDatasetCsv, validationRows } from '../../dataset/table';
import { forEachBounded } from '../../dataset/files';
import { writeEmbeddingFile } from '../../retrieval/embedding-file';
import { decodeImage, ImageStore } from '../data/images';
import { useBackend } from '../backends';
import { checkDevice } from '../device-errors';
import { loadExtractor } from '../inference';
import { installedManifest } from '../zoo-model';
import type { EmbedRequest, EmbedResult } from '../worker-protocol';
import { resolveThreads } from '../wasm/threads';
import { embedBatches, imageInputs } from './batches';
import { zooEmbedder } from './zoo-embedder';
import { RAW_PIXELS_DIM, RAW_PIXELS_NAME, rawPixelRows, rawPixelVector } from './raw-pixels';

type Progress = (done: number, total: number) => void;

/** What a target resolves to: its keys (row indices or paths) and how to decode any range of it. */
interface Resolved {
  keys: (number | string)[];
  decode: (spec: { size: number; channels: 1 | 3 }) => (start: number, end: number) => Promise<Uint8Array[]>;
  rawPixels: (onProgress: Progress) => Promise<Float32Array>;
}

async function resolveTarget(target: EmbedRequest['target']): Promise<Resolved> {
  if (target.kind === 'dataset') {
    const { table } = await readDatasetCsv(target.csv, { root: target.root });
    const rows = target.all ? Array.from({ length: table.size }, (_, i) => i) : validationRows(table);
    return {
      keys: rows,
      decode: (spec) => {
        const store = new ImageStore(table, spec, false);
        return (s, e) => store.get(rows.slice(s, e));
      },
      rawPixels: (onProgress) => rawPixelRows(table, rows, onProgress),
    };
  }
  const files = target.files;
  // A broken image aborts with its path, as OML's predict does.
  const read = <T>(file: string, f: () => Promise<T>) =>
    f().catch((err: unknown) => {
      throw new Error(`Cannot read image ${file}: ${err instanceof Error ? err.message : String(err)}`);
    });
  return {
    keys: files,
    decode: (spec) => async (s, e) => {
      const out: Uint8Array[] = new Array(e - s);
      await forEachBounded(e - s, 8, async (k) => void (out[k] = await read(files[s + k]!, () => decodeImage(files[s + k]!, null, spec))));
      return out;
    },
    rawPixels: async (onProgress) => {
      const out = new Float32Array(files.length * RAW_PIXELS_DIM);
      let done = 0;
      await forEachBounded(files.length, 8, async (j) => {
        out.set(await read(files[j]!, () => rawPixelVector(files[j]!, null)), j * RAW_PIXELS_DIM);
        if (++done % 256 === 0 || done === files.length) onProgress(done, files.length);
      });
      return out;
    },
  };
}

/** Embeds a target with a model and writes the embeddings file: what the worker process runs for an `embed` request. */
export async function runEmbedJob(req: EmbedRequest, onProgress: Progress): Promise<EmbedResult> {
  const target = await resolveTarget(req.target);
  const count = target.keys.length;
  let data: Float32Array;
  let model: string;
  let backend: string | null = null;
  if (req.model.kind === 'raw-pixels') {
    data = await target.rawPixels(onProgress);
    model = RAW_PIXELS_NAME;
  } else if (req.model.kind === 'zoo') {
    const tfjs = installedManifest(req.model.dir).entry.format !== 'onnx' ? (await useBackend(req.backend)).name : null;
    const zoo = await zooEmbedder(req.model.dir, resolveThreads('auto'));
    const manifest = zoo.manifest;
    backend = zoo.onnx ?? tfjs;
    data = await embedBatches(zoo.model, count, imageInputs(zoo.spec, target.decode(zoo.spec)), req.bs, onProgress);
    model = `zoo ${req.model.key} (${manifest.entry.embeddingLayer}, ${manifest.entry.embeddingDim}-d${manifest.verified ? '' : ', unverified'})`;
  } else {
    const ex = await loadExtractor(req.model.dir, req.backend);
    backend = ex.backend.name;
    data = await embedBatches(ex.model, count, imageInputs(ex.spec, target.decode(ex.spec)), req.bs, onProgress);
    model = `checkpoint ${req.model.dir} (epoch ${ex.meta.epoch}, ${data.length / Math.max(1, count)}-d)`;
  }
  // A GPU's failed allocation leaves zeros, not an error: vectors from such a batch must not be written.
  checkDevice({ size: req.bs, setting: `the embedding batch size (${req.bs})` });
  const dim = count ? data.length / count : 0;
  await writeEmbeddingFile(req.out, { data, count, dim }, model, target.keys);
  return { file: req.out, count, dim, model, backend };
}
