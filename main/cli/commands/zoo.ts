import path from 'node:path';
import { defaultDataDir } from '../../paths';
import { ExportError, omlPreprocessing } from '../../services/oml/export';
import { ZooService } from '../../services/zoo';
import { DownloadCancelled } from '../../zoo/download';
import { damagedFiles, readManifest } from '../../zoo/catalog';
import { type Command, UsageError, err, out, parse } from '../args';
import { progressLine } from '../progress';

const usage =
  'metric-studio zoo list | verify [KEY] | download KEY | remove KEY | import FOLDER|FILE.onnx --key KEY [--layer NAME] [--name NAME] [--normalisation zero_one|minus_one_one|imagenet] [--input-size N] [--oml EXPORT_DIR] [--force]   [--json] [--data-dir DIR]';

export const zoo: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        json: { type: 'boolean' },
        'data-dir': { type: 'string' },
        key: { type: 'string' },
        layer: { type: 'string' },
        name: { type: 'string' },
        normalisation: { type: 'string' },
        'input-size': { type: 'string' },
        oml: { type: 'string' },
        force: { type: 'boolean' },
      },
      usage,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const [sub = 'list', key] = positionals;
    const service = new ZooService(values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir());
    const needKey = () => {
      if (!key) throw new UsageError(`zoo ${sub} needs a model key (metric-studio zoo list)\nusage: ${usage}`);
      try {
        return service.entry(key).key;
      } catch (e) {
        throw new UsageError((e as Error).message, 1);
      }
    };
    if (sub === 'list') {
      const entries = service.list();
      if (values.json) out(JSON.stringify(entries, null, 2));
      else {
        const width = Math.max(...entries.map((e) => e.key.length));
        for (const e of entries) {
          const state = e.installed ? (e.verified ? 'installed' : 'installed (unverified)') : '—';
          out(
            `${e.key.padEnd(width)} ${String(e.embeddingDim).padStart(5)}-d  ${(e.sizeBytes / 1e6).toFixed(1).padStart(6)} MB  ${state.padEnd(12)} ${e.name}`,
          );
        }
      }
      return 0;
    }
    if (sub === 'verify') {
      // Every installed model's files hashed against what was recorded when it was installed.
      const keys = key
        ? [needKey()]
        : service
            .list()
            .filter((e) => e.installed)
            .map((e) => e.key);
      let damaged = 0;
      for (const k of keys) {
        const dir = service.installedDir(k);
        const manifest = readManifest(dir);
        const damage = manifest ? await damagedFiles(dir, manifest, true) : `${dir}: no valid manifest.json: download it again`;
        if (damage) damaged++;
        if (values.json) out(JSON.stringify({ key: k, ok: !damage, problem: damage }));
        else
          out(
            `${k}: ${damage ?? (manifest?.files ? 'ok (every file matches its digest)' : 'installed before digests were recorded: download it again to record them')}`,
          );
      }
      return damaged ? 1 : 0;
    }
    if (sub === 'download') {
      const k = needKey();
      const progress = progressLine(`downloading ${k}`);
      const job = service.download(k, (received, total) => progress.update(received, total ?? 0));
      const onSigint = () => service.cancel(job.jobId);
      process.once('SIGINT', onSigint);
      try {
        await job.done;
      } catch (e) {
        throw new UsageError(e instanceof DownloadCancelled ? e.message : `zoo download ${k}: ${(e as Error).message}`, 1);
      } finally {
        progress.end();
        process.off('SIGINT', onSigint);
      }
      const entry = service.list().find((e) => e.key === k)!;
      if (values.json) out(JSON.stringify(entry, null, 2));
      else out(`${k}: installed${entry.verified ? ', verified' : ' (unverified: no digest known)'} in ${service.installedDir(k)}`);
      return 0;
    }
    if (sub === 'remove') {
      const k = needKey();
      const removed = await service.remove(k);
      if (values.json) out(JSON.stringify({ key: k, removed }));
      else err(removed ? `${k}: removed` : `${k}: was not installed`);
      return 0;
    }
    if (sub === 'import') {
      if (!key || !values.key) throw new UsageError(`zoo import needs a model folder and --key\nusage: ${usage}`);
      const onnx = key.toLowerCase().endsWith('.onnx');
      // A model trained from an OML export: its size, normalisation and name come from the export's validate.yaml.
      const oml = values.oml
        ? await omlPreprocessing(values.oml).catch((e: unknown) => {
            throw e instanceof ExportError ? new UsageError(e.message, 1) : e;
          })
        : null;
      if (oml && (values.normalisation || values['input-size']))
        throw new UsageError('--oml sets the size and normalisation: leave out --normalisation and --input-size');
      const given = values.normalisation ?? (onnx ? 'imagenet' : 'zero_one');
      if (given !== 'zero_one' && given !== 'minus_one_one' && given !== 'imagenet')
        throw new UsageError('--normalisation must be zero_one, minus_one_one or imagenet');
      const inputSize = values['input-size'] === undefined ? undefined : Number(values['input-size']);
      if (inputSize !== undefined && !(Number.isInteger(inputSize) && inputSize >= 8 && inputSize <= 1024))
        throw new UsageError('--input-size must be a whole number of pixels from 8 to 1024');
      // The model is loaded to check it: TensorFlow.js runs in this CLI process, never in the app's main process.
      const { importZooModel, ImportError, IMAGENET } = await import('../../engine/zoo-import');
      const normalisation = oml ? { mean: oml.mean, std: oml.std } : given === 'imagenet' ? IMAGENET : given;
      const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir();
      const opts = {
        key: values.key,
        layer: values.layer,
        name: values.name ?? (oml ? `${oml.name} (trained with OML)` : undefined),
        normalisation,
        inputSize: oml?.inputSize ?? inputSize,
        force: values.force ?? false,
      };
      const m = await importZooModel(key, dataDir, opts).catch((e: unknown) => {
        throw e instanceof ImportError ? new UsageError(e.message, 1) : e;
      });
      if (values.json) out(JSON.stringify(m.entry, null, 2));
      else
        out(
          `${m.entry.key}: imported (${m.entry.inputSize}×${m.entry.inputSize} RGB → ${m.entry.embeddingDim}-d from ${m.entry.embeddingLayer})`,
        );
      return 0;
    }
    throw new UsageError(`Unknown zoo subcommand "${sub}"\nusage: ${usage}`);
  },
};
