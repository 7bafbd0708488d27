import path from 'node:path';
import YAML from 'yaml';
import { ConfigError, parseTrainConfig, readTrainConfig } from '../../engine/train/config-file';
import { defaultDataDir } from '../../paths';
import { ExportError, exportOml } from '../../services/oml/export';
import { RunStore } from '../../store/runs';
import { type Command, UsageError, out, parse } from '../args';

const usage = 'metric-studio export-oml RUN_ID|CONFIG.yaml --out DIR [--devices N] [--data-dir DIR] [--json]';

/** The config a run trained with (and the folder its paths start from), or a config file's. */
async function source(what: string, dataDir: string) {
  if (!/^\d+$/.test(what)) {
    const { config, baseDir } = await readTrainConfig(path.resolve(what));
    return { config, baseDir, name: config.postfix };
  }
  const store = await RunStore.open(dataDir);
  try {
    const run = await store.getRun(Number(what));
    if (!run) throw new UsageError(`No run with id ${what}`, 1);
    const baseDir = (await store.baseDir(run.id)) ?? path.dirname(run.datasetCsv ?? '.');
    return { config: parseTrainConfig(YAML.parse(run.configYaml), `run ${run.id}`), baseDir, name: run.name };
  } finally {
    await store.close();
  }
}

export const exportOmlCommand: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { out: { type: 'string' }, devices: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } },
      usage,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const [what] = positionals;
    if (!what || !values.out) throw new UsageError(`a run id or a config file, and --out, are required\nusage: ${usage}`);
    const devices = values.devices === undefined ? 1 : Number(values.devices);
    if (!Number.isInteger(devices) || devices < 1 || devices > 1024)
      throw new UsageError('--devices must be a whole number of GPUs from 1 to 1024');
    const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir();
    try {
      const { config, baseDir, name } = await source(what, dataDir);
      const result = await exportOml(config, baseDir, values.out, { devices, name });
      if (values.json) out(JSON.stringify(result, null, 2));
      else {
        out(`wrote ${result.files.join(', ')} in ${result.outDir}`);
        for (const w of result.warnings) out(`warning: ${w}`);
        out(`next: cd ${result.outDir} && python train.py   (README.md has the rest)`);
      }
      return 0;
    } catch (e) {
      if (e instanceof ConfigError || e instanceof ExportError) throw new UsageError(e.message, 1);
      throw e;
    }
  },
};
