import { stat } from 'node:fs/promises';
import path from 'node:path';
import { isImageFile } from '../../dataset/image-files';
import { galleryIndex } from '../../retrieval/gallery-index';
import { labelNamesOf } from '../../services/datasets';
import { EmbeddingJobError } from '../../services/embedding';
import { embedValidation, withGallery } from '../../services/explorer';
import { type Command, UsageError, out, parse } from '../args';
import { cliEmbedModel, DATASET_MODEL_OPTIONS, withEmbeddingSets } from '../models';
import { checkedDataset } from '../datasets';
import { progressLine, withWorkerJobs } from '../progress';

const usage =
  'metric-studio search --dataset df.csv [--root DIR] (--checkpoint DIR | --zoo KEY | --baseline raw-pixels) --query IMG [--query IMG …] [-k 10] [--data-dir DIR] [--json]';

export const search: Command = {
  usage,
  async run(argv) {
    const { values } = parse(
      argv,
      {
        ...DATASET_MODEL_OPTIONS,
        query: { type: 'string', multiple: true },
        k: { type: 'string', short: 'k' },
        json: { type: 'boolean' },
      },
      usage,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const models = [values.checkpoint, values.zoo, values.baseline].filter(Boolean).length;
    if (!values.dataset || models !== 1 || !values.query?.length)
      throw new UsageError(`--dataset, --query and one of --checkpoint, --zoo or --baseline are required\nusage: ${usage}`);
    if (values.baseline && values.baseline !== 'raw-pixels')
      throw new UsageError(`--baseline must be raw-pixels, got "${values.baseline}"`);
    const k = Number(values.k ?? 10);
    if (!Number.isInteger(k) || k < 1 || k > 1000) throw new UsageError(`-k must be a whole number from 1 to 1000, got "${values.k}"`);
    const queries = values.query.map((q) => path.resolve(q));
    for (const q of queries) {
      const info = await stat(q).catch(() => null);
      if (!info?.isFile()) throw new UsageError(`--query ${q}: no such image file`, 1);
      if (!isImageFile(q)) throw new UsageError(`--query ${q}: not an image file type`, 1);
    }
    const model = cliEmbedModel(values);
    try {
      const table = await checkedDataset(values.dataset, values.root);
      const progress = progressLine('embedding');
      const { gallery: searched, q } = await withEmbeddingSets(values, (sets) =>
        withWorkerJobs(async (jobs) => {
          const g = withGallery(table, await embedValidation(jobs, table, model, undefined, sets));
          const embedded = await jobs.embed(model, { kind: 'files', files: queries }, 'search queries', progress.update);
          return { gallery: g, q: embedded.embeddings };
        }),
      ).finally(() => progress.end());
      if (searched.gallery.count === 0) throw new UsageError(`${table.file} has no gallery items to search`, 1);
      const index = galleryIndex(searched.gallery);
      const nn = index.search(q, k);
      const names = await labelNamesOf(table.file);
      const results = queries.map((file, i) => ({
        query: file,
        results: Array.from(nn.ids.subarray(nn.offsets[i]!, nn.offsets[i + 1]!), (g, r) => {
          const row = searched.galleryRows[g]!;
          return {
            rank: r + 1,
            row: table.rowNumber[row]!,
            path: table.path[row]!,
            label: table.label[row]!,
            labelName: names.get(table.label[row]!) ?? null,
            distance: nn.distances[nn.offsets[i]! + r]!,
          };
        }),
      }));
      if (values.json) out(JSON.stringify({ model: searched.name, index: index.kind, results }, null, 2));
      else
        for (const r of results) {
          const how = index.kind === 'hnsw' ? 'approximate (HNSW) search' : 'exact search';
          out(`${r.query} — top ${r.results.length} of ${searched.gallery.count} gallery items (${searched.name}, ${how})`);
          for (const x of r.results)
            out(
              `  #${x.rank}  d=${x.distance.toFixed(4)}  label ${x.labelName ? `${x.labelName} (${x.label})` : x.label}  row ${x.row}  ${x.path}`,
            );
        }
      return 0;
    } catch (e) {
      if (e instanceof EmbeddingJobError) throw new UsageError(e.message, 1);
      throw e;
    }
  },
};
