import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IMAGE_EXTENSIONS, listImages } from '../../dataset/image-files';
import { EmbeddingJobError } from '../../services/embedding';
import { type Command, UsageError, err, out, parse } from '../args';
import { cliEmbedModel } from '../models';
import { progressLine, withWorkerJobs } from '../progress';

const usage = 'metric-studio predict (--checkpoint DIR | --zoo KEY [--app-data-dir DIR]) --data-dir IMAGES --out predictions.json [--bs N]';

export const predict: Command = {
  usage,
  async run(argv) {
    const { values } = parse(
      argv,
      {
        checkpoint: { type: 'string' },
        zoo: { type: 'string' },
        'app-data-dir': { type: 'string' },
        'data-dir': { type: 'string' },
        out: { type: 'string' },
        bs: { type: 'string' },
      },
      usage,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    if (!(values.checkpoint || values.zoo) || (values.checkpoint && values.zoo) || !values['data-dir'] || !values.out)
      throw new UsageError(`one of --checkpoint or --zoo, and --data-dir and --out are required\nusage: ${usage}`);
    // In predict --data-dir is the images folder (OML's name); zoo models live in the app's data folder.
    const model = cliEmbedModel({ checkpoint: values.checkpoint, zoo: values.zoo, 'data-dir': values['app-data-dir'] });
    const bs = Number(values.bs ?? 256);
    if (!Number.isInteger(bs) || bs < 1 || bs > 4096) throw new UsageError(`--bs must be an integer from 1 to 4096, got "${values.bs}"`);
    const dir = path.resolve(values['data-dir']);
    const files = await listImages(dir).catch(() => {
      throw new UsageError(`Cannot read folder ${dir}`, 1);
    });
    const kinds = [...IMAGE_EXTENSIONS].map((e) => e.slice(1)).join(', ');
    if (files.length === 0) throw new UsageError(`No images (${kinds}) under ${dir}`, 1);
    err(`embedding ${files.length} images in a worker process`);
    const progress = progressLine('embedding');
    const set = await withWorkerJobs((jobs) =>
      jobs.embed(model, { kind: 'files', files: files.map((f) => path.join(dir, f)) }, 'predict', progress.update, bs),
    )
      .catch((e: unknown) => {
        throw e instanceof EmbeddingJobError ? new UsageError(e.message, 1) : e;
      })
      .finally(() => progress.end());
    const { data, dim } = set.embeddings;
    const result: Record<string, number[]> = {};
    files.forEach((f, i) => {
      result[f] = Array.from(data.subarray(i * dim, (i + 1) * dim));
    });
    await writeFile(values.out, JSON.stringify(result));
    out(`wrote ${files.length} ${dim}-d embeddings to ${values.out} (backend ${set.backend ?? '—'})`);
    return 0;
  },
};
