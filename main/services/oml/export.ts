/**
 * "Export to OML": a folder OML's `pipelines/features_extraction` entry points run as it is — the dataset CSV with
 * paths relative to its `dataset_root`, train and validation configs in OML's layout, the two Hydra entry scripts,
 * a script that turns the trained checkpoint into ONNX (which `zoo import --oml` brings back), and a README with the
 * commands and every warning. Writes only into the folder the user names, and only when it is empty or an export.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import YAML from 'yaml';
import type { TrainConfig } from '../../../shared/schemas/config';
import { trainRows } from '../../dataset/labels';
import { imagePath, readDatasetCsv } from '../../dataset/table';
import { isInside } from '../../paths';
import { OML_SOURCE, toOml } from './mapping';

/** The file an export leaves beside its configs, and how a later export knows it may write there again. */
export const EXPORT_MARKER = 'metric-studio.json';

export class ExportError extends Error {}

export interface ExportResult {
  outDir: string;
  files: string[];
  warnings: string[];
}

/** The Hydra entry points of OML's pipelines/features_extraction, for configs named train.yaml and validate.yaml. */
const entry = (
  fn: string,
  module: string,
  config: string,
) => `# Written by Metric Studio: OML's own entry point (pipelines/features_extraction) for ${config}.
import hydra
from omegaconf import DictConfig

from oml.const import HYDRA_BEHAVIOUR
from oml.lightning.pipelines.${module} import ${fn}


@hydra.main(config_path=".", config_name="${config}", version_base=HYDRA_BEHAVIOUR)
def main_hydra(cfg: DictConfig) -> None:
    ${fn}(cfg)


if __name__ == "__main__":
    main_hydra()
`;

const EXPORT_ONNX = `# Written by Metric Studio: the extractor of train.yaml with the weights of a checkpoint OML saved, as ONNX.
#   python export_onnx.py logs/<run>/checkpoints/best.ckpt extractor.onnx
# then, in Metric Studio:  metric-studio zoo import extractor.onnx --key my_oml_model --oml .
import sys

import torch
from omegaconf import OmegaConf

from oml.registry.models import get_extractor_by_cfg

ckpt, out = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "extractor.onnx"
cfg = OmegaConf.to_container(OmegaConf.load("train.yaml"), resolve=False)
extractor_cfg = cfg["extractor"]
if extractor_cfg["name"] == "extractor_with_mlp":
    extractor_cfg["args"]["extractor"]["args"]["weights"] = None  # OML takes one set of weights: the checkpoint's
extractor_cfg["args"]["weights"] = ckpt
extractor = get_extractor_by_cfg(extractor_cfg).eval()
size = cfg["transforms_val"]["args"]["im_size"]
torch.onnx.export(
    extractor,
    torch.randn(1, 3, size, size),
    out,
    input_names=["input"],
    output_names=["embeddings"],
    dynamic_axes={"input": {0: "batch"}, "embeddings": {0: "batch"}},
    opset_version=17,
)
print(f"wrote {out}: {size}x{size} RGB, ImageNet mean/std -> embeddings")
`;

function readme(name: string, devices: number, warnings: string[], csvRows: number): string {
  return `# ${name}: an OML experiment exported by Metric Studio

OML (open-metric-learning, PyTorch Lightning) trains this on GPUs; the configs use OML's registry names as of
commit ${OML_SOURCE.commit.slice(0, 12)} of ${OML_SOURCE.repo}. \`df.csv\` holds ${csvRows} rows with paths
relative to \`dataset_root\` (train.yaml). On another machine, point both at the copies there:
\`python train.py dataset_root=/data/images dataframe_name=/data/exp/df.csv\`.

\`\`\`bash
pip install open-metric-learning
python train.py                                   # one GPU (devices: ${devices})
python train.py devices=4                         # DDP over 4 GPUs of this machine
python validate.py extractor.args.weights=logs/<run>/checkpoints/best.ckpt
python export_onnx.py logs/<run>/checkpoints/best.ckpt extractor.onnx
\`\`\`

Back in Metric Studio: \`metric-studio zoo import extractor.onnx --key my_oml_model --oml <this folder>\` (size and
normalisation come from validate.yaml), then it is in the Zoo, the Explorer and the dataset's leaderboard.

## What did not carry over as it is
${warnings.length ? warnings.map((w) => `- ${w}`).join('\n') : '- nothing'}
`;
}

/** Rewrites the dataset CSV with every image path relative to `root` (absolute where an image lies outside it). */
async function exportCsv(
  csvPath: string,
  root: string | undefined,
  out: string,
): Promise<{ root: string; rows: number; outside: number; numClasses: number }> {
  const { table } = await readDatasetCsv(csvPath, { root });
  const records = parse(await readFile(csvPath), { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  const [header, ...rows] = records;
  const col = header!.indexOf('path');
  if (col < 0 || rows.length !== table.size)
    throw new ExportError(`${csvPath}: could not read its rows back (${rows.length} against ${table.size})`);
  let outside = 0;
  const rewritten = rows.map((r, i) => {
    const abs = imagePath(table, i);
    const inside = isInside(table.root, abs);
    if (!inside) outside++;
    const copy = [...r];
    copy[col] = inside ? path.relative(table.root, abs).split(path.sep).join('/') : abs;
    return copy;
  });
  await writeFile(out, stringify([header!, ...rewritten]));
  return { root: table.root, rows: rows.length, outside, numClasses: trainRows(table).mapping.size };
}

/** Writes the OML experiment for `config` (its relative paths resolved against `baseDir`) into `outDir`. */
export async function exportOml(
  config: TrainConfig,
  baseDir: string,
  outDir: string,
  opts: { devices?: number; name?: string } = {},
): Promise<ExportResult> {
  const out = path.resolve(outDir);
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(path.join(out, EXPORT_MARKER)))
    throw new ExportError(`${out} is not empty and holds no earlier export (${EXPORT_MARKER}): choose an empty or new folder`);
  await mkdir(out, { recursive: true });
  const csv = path.resolve(baseDir, config.dataset);
  const root = config.dataset_root ? path.resolve(baseDir, config.dataset_root) : undefined;
  const dataframe = path.join(out, 'df.csv');
  const data = await exportCsv(csv, root, dataframe);
  const devices = opts.devices ?? 1;
  const { train, validation, warnings } = toOml(config, { numClasses: data.numClasses, datasetRoot: data.root, dataframe, devices });
  if (data.outside) warnings.push(`${data.outside} image path(s) lie outside dataset_root (${data.root}): written absolute`);
  // validate.py takes the trained checkpoint as extractor.args.weights: OML refuses a second set inside it.
  const ex = validation.extractor as { name: string; args: { extractor?: { args: Record<string, unknown> }; weights?: unknown } };
  const valExtractor =
    ex.name === 'extractor_with_mlp'
      ? { ...ex, args: { ...ex.args, extractor: { ...ex.args.extractor!, args: { ...ex.args.extractor!.args, weights: null } } } }
      : ex;
  const name = opts.name ?? config.postfix;
  const files: [string, string][] = [
    [
      'train.yaml',
      `# ${name}, exported by Metric Studio for OML (${OML_SOURCE.repo}@${OML_SOURCE.commit.slice(0, 12)}).\n${YAML.stringify(train)}`,
    ],
    [
      'validate.yaml',
      `# Validation of ${name}: pass the trained checkpoint as extractor.args.weights=PATH.\n${YAML.stringify({ ...validation, extractor: valExtractor })}`,
    ],
    ['train.py', entry('extractor_training_pipeline', 'train', 'train.yaml')],
    ['validate.py', entry('extractor_validation_pipeline', 'validate', 'validate.yaml')],
    ['export_onnx.py', EXPORT_ONNX],
    ['README.md', readme(name, devices, warnings, data.rows)],
    [
      EXPORT_MARKER,
      `${JSON.stringify({ exportedBy: 'metric-studio', oml: OML_SOURCE, source: { csv, baseDir }, warnings, config }, null, 2)}\n`,
    ],
  ];
  for (const [file, text] of files) await writeFile(path.join(out, file), text);
  return { outDir: out, files: ['df.csv', ...files.map(([f]) => f)], warnings };
}

/**
 * What a model trained from an export expects of its images, read from the export's validate.yaml: the size its
 * transforms resize to, and OML's ImageNet mean and std (or the ones the transform names).
 */
export async function omlPreprocessing(
  dir: string,
): Promise<{ inputSize: number; mean: [number, number, number]; std: [number, number, number]; name: string }> {
  const file = path.join(path.resolve(dir), 'validate.yaml');
  let doc: { transforms_val?: { name?: string; args?: { im_size?: unknown; mean?: unknown; std?: unknown } } };
  try {
    doc = YAML.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new ExportError(`${file}: not an OML export's validation config (${(e as Error).message.split('\n')[0]})`);
  }
  const t = doc?.transforms_val;
  const size = t?.args?.im_size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 8 || size > 1024)
    throw new ExportError(
      `${file}, transforms_val.args.im_size: expected a whole number of pixels from 8 to 1024, got ${JSON.stringify(size)}`,
    );
  const triple = (v: unknown, fallback: [number, number, number], key: string): [number, number, number] => {
    if (v === undefined) return fallback;
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x)))
      return v as [number, number, number];
    throw new ExportError(`${file}, transforms_val.args.${key}: expected three numbers, got ${JSON.stringify(v)}`);
  };
  // OML's MEAN and STD (oml/const.py): ImageNet's.
  const mean = triple(t?.args?.mean, [0.485, 0.456, 0.406], 'mean');
  const std = triple(t?.args?.std, [0.229, 0.224, 0.225], 'std');
  if (std.some((x) => x <= 0)) throw new ExportError(`${file}, transforms_val.args.std: every value must be positive`);
  const marker = await readFile(path.join(path.resolve(dir), EXPORT_MARKER), 'utf8').catch(() => null);
  const name = marker
    ? ((JSON.parse(marker) as { config?: { postfix?: string } }).config?.postfix ?? path.basename(dir))
    : path.basename(dir);
  return { inputSize: size, mean, std, name };
}
