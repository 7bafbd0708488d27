import { FileGuardError, readGuarded } from '../../file-guard';
import { existsSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { TrainConfig } from '../../../shared/schemas/config';
import { formatIssues, zodIssues } from '../../../shared/issues';

export class ConfigError extends Error {}

/** `a.b.c=value` overrides (values parsed as YAML scalars: numbers, booleans, null, lists). */
export function applyOverrides(doc: Record<string, unknown>, sets: string[]): Record<string, unknown> {
  const out = structuredClone(doc);
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects key=value, got "${s}"`);
    const keys = s.slice(0, eq).split('.');
    // Keys name config fields: never an object's machinery (`__proto__.x=1` would set x on every object).
    const bad = keys.find((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype');
    if (bad !== undefined) throw new ConfigError(`--set ${s.slice(0, eq)}: "${bad}" is not a config key`);
    let value: unknown;
    try {
      value = YAML.parse(s.slice(eq + 1));
    } catch (e) {
      throw new ConfigError(`--set ${s.slice(0, eq)}: the value is not valid YAML (${(e as Error).message.split('\n')[0]})`);
    }
    let node = out as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) {
      if (!Object.hasOwn(node, k) || typeof node[k] !== 'object' || node[k] === null) node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]!] = value;
  }
  return out;
}

/** Parses and validates a config: every problem is named by its key path. */
export function parseTrainConfig(doc: unknown, source: string): TrainConfig {
  const parsed = TrainConfig.safeParse(doc);
  if (!parsed.success) throw new ConfigError(formatIssues(zodIssues(parsed.error), '\n', source));
  return parsed.data;
}

export async function readTrainConfig(file: string, sets: string[] = []): Promise<{ config: TrainConfig; yaml: string; baseDir: string }> {
  let text: string;
  try {
    text = await readGuarded(file, 'config', 'utf8');
  } catch (e) {
    throw new ConfigError(e instanceof FileGuardError && existsSync(file) ? e.message : `Config file not found: ${file}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new ConfigError(`${file} is not valid YAML: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null) throw new ConfigError(`${file} must be a YAML mapping`);
  const merged = applyOverrides(doc as Record<string, unknown>, sets);
  const config = parseTrainConfig(merged, file);
  return { config, yaml: sets.length ? YAML.stringify(merged) : text, baseDir: path.dirname(path.resolve(file)) };
}
