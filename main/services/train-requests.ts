import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ApiError } from '../../shared/api';
import { TrainConfig } from '../../shared/schemas/config';
import { appRoot } from '../paths';
import type { TrainingSupervisor } from './training';
import { formatIssues, type Issue, zodIssues } from '../../shared/issues';
import { preflight, preflightWithPlan } from './preflight';
import type { TrainPlan } from '../../shared/schemas/train-plan';

/** The shipped configs (recipes/*.yaml), with whether their dataset is present on this machine. */
export function listRecipes() {
  const dir = path.join(appRoot(), 'recipes');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      const yaml = readFileSync(file, 'utf8');
      let datasetExists = false;
      try {
        const doc = YAML.parse(yaml) as { dataset?: string };
        datasetExists = typeof doc.dataset === 'string' && existsSync(path.resolve(dir, doc.dataset));
      } catch {
        datasetExists = false;
      }
      return { name: f.replace(/\.yaml$/, ''), path: file, yaml, datasetExists };
    });
}

function parse(yaml: string): { config: TrainConfig | null; issues: Issue[] } {
  let doc: unknown;
  try {
    doc = YAML.parse(yaml);
  } catch (e) {
    const linePos = (e as { linePos?: { line: number }[] }).linePos?.[0];
    return { config: null, issues: [{ path: linePos ? `line ${linePos.line}` : '(yaml)', message: (e as Error).message.split('\n')[0]! }] };
  }
  const parsed = TrainConfig.safeParse(doc);
  if (parsed.success) return { config: parsed.data, issues: [] };
  return { config: null, issues: zodIssues(parsed.error) };
}

/** The schema's issues, then — given the folder the config's paths start from — what it points at (pre-flight). */
export async function validateYaml(
  yaml: string,
  baseDir?: string,
  dataDir?: string,
): Promise<{ ok: boolean; issues: Issue[]; plan: TrainPlan | null }> {
  const { config, issues } = parse(yaml);
  let plan: TrainPlan | null = null;
  if (config && baseDir) {
    const checked = await preflightWithPlan(config, baseDir, dataDir);
    issues.push(...checked.issues);
    plan = checked.plan;
  }
  return { ok: issues.length === 0, issues, plan };
}

export async function startFromYaml(
  training: TrainingSupervisor,
  yaml: string,
  baseDir: string,
  name?: string,
): Promise<{ runId: number }> {
  const { config, issues } = parse(yaml);
  if (config) issues.push(...(await preflight(config, baseDir, training.dataDir)));
  if (!config || issues.length)
    throw new ApiError('invalid_input', `The config has ${issues.length} problem(s): ${formatIssues(issues)}`, issues);
  const { runId } = await training.start({ config, configYaml: yaml, baseDir, name });
  return { runId };
}
