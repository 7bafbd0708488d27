import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { embedFiles, listImages, loadExtractor } from '../../engine/inference';
import { type Command, UsageError, err, out, parse } from '../args';

const usage = 'metric-studio predict --checkpoint DIR --data-dir IMAGES --out predictions.json [--bs N]';

export const predict: Command = {
  name: 'predict',
  summary: 'Embed every image under a folder with a checkpoint; writes OML-format predictions.json',
  usage,
  async run(argv) {
    const { values } = parse(argv, { checkpoint: { type: 'string' }, 'data-dir': { type: 'string' }, out: { type: 'string' }, bs: { type: 'string' } }, usage);
    if (values.help) return out(usage), 0;
    if (!values.checkpoint || !values['data-dir'] || !values.out) throw new UsageError(`--checkpoint, --data-dir and --out are required\nusage: ${usage}`);
    const dir = path.resolve(values['data-dir']);
    const files = await listImages(dir).catch(() => {
      throw new UsageError(`Cannot read folder ${dir}`, 1);
    });
    if (files.length === 0) throw new UsageError(`No images (jpg, jpeg, png, webp, bmp, tif, tiff, gif) under ${dir}`, 1);
    const ex = await loadExtractor(path.resolve(values.checkpoint)).catch((e) => {
      throw new UsageError(e instanceof Error ? e.message : String(e), 1);
    });
    err(`embedding ${files.length} images on ${ex.backend.name}`);
    const data = await embedFiles(ex, files.map((f) => path.join(dir, f)), Number(values.bs ?? 256));
    const dim = data.length / files.length;
    const result: Record<string, number[]> = {};
    files.forEach((f, i) => (result[f] = Array.from(data.subarray(i * dim, (i + 1) * dim))));
    await writeFile(values.out, JSON.stringify(result));
    out(`wrote ${files.length} ${dim}-d embeddings to ${values.out}`);
    return 0;
  },
};
