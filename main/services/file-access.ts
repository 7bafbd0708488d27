import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../../shared/api';
import { broadFolder, isInside } from '../paths';
import { loadDataset } from './datasets';
import type { RunStore } from '../store/runs';

/** Extensions datasets.inspect opens: a request cannot make it parse (and quote back) /etc/passwd. */
const TABLE_EXTENSIONS = new Set(['.csv', '.tsv']);

/** Where the wizard's analyses of this session found images: their roots and the paths of their items. */
export interface AnalysedImages {
  pathsUnder(root: string): { has(rel: string): boolean } | null;
}

/**
 * What an API request may read. A person picks a dataset table (datasets.inspect registers it) or a wizard source;
 * after that, requests read only those tables and the images of their rows — never an arbitrary file named in a
 * request. The check is here, once, for both transports.
 */
export class FileAccess {
  constructor(
    private readonly store: RunStore,
    private readonly wizard: AnalysedImages,
  ) {}

  /** A table the user picks: it must be one (by extension), and exist. */
  pickedTable(csvPath: string): string {
    const file = path.resolve(csvPath);
    if (!TABLE_EXTENSIONS.has(path.extname(file).toLowerCase()))
      throw new ApiError('invalid_input', `${file}: a dataset is a .csv (or .tsv) table`);
    return file;
  }

  /** A dataset's root is what its thumbnails may read from: never the whole disk, a home folder or a system folder. */
  refuseBroadRoot(root: string): void {
    const why = broadFolder(root);
    if (why) throw new ApiError('invalid_input', `${why}: a dataset's root must be the folder that holds its images`);
  }

  /** A dataset a request pages or searches: registered (opened in the app, written by the wizard, trained on). */
  async registeredTable(csvPath: string): Promise<string> {
    const file = path.resolve(csvPath);
    const places = await this.store.datasetPlaces();
    if (!places.some((p) => p.csvPath === file))
      throw new ApiError('not_found', `${file} is not an open dataset: open it on the Datasets page first`);
    return file;
  }

  /**
   * The image file a thumbnail request names. `root` must be a registered dataset's root or a root the wizard
   * analysed; the file must lie inside that root after links are followed, or be a row's path in one of those
   * datasets (rows may point outside their root: check warns about it, but the user's data is shown).
   */
  async image(root: string, rel: string): Promise<string> {
    const absRoot = path.resolve(root);
    const file = path.resolve(absRoot, rel);
    const analysed = this.wizard.pathsUnder(absRoot);
    const datasets = (await this.store.datasetPlaces()).filter((p) => path.resolve(p.root) === absRoot);
    if (!analysed && datasets.length === 0) throw new ApiError('not_found', `${absRoot} is not the root of an open dataset`);
    const [realRoot, realFile] = await Promise.all([realpath(absRoot).catch(() => absRoot), realpath(file).catch(() => file)]);
    // A broad root (registered before roots were checked) serves its rows' images only.
    if (!broadFolder(realRoot) && isInside(realRoot, realFile)) return file;
    if (analysed?.has(rel)) return file;
    for (const d of datasets) {
      const table = await loadDataset(d.csvPath, d.root).catch(() => null);
      if (table?.path.includes(rel)) return file;
    }
    throw new ApiError('not_found', `${rel} is not an image of the dataset at ${absRoot}`);
  }
}
