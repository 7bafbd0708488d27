import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The npm registry the user configured, found as npm itself finds it — environment (`npm_config_registry`),
 * then the project's, the user's and the global `.npmrc` — and, failing those, by asking `npm config get
 * registry`. Nothing here names a registry host: mirrors, proxies and private registries just work.
 */
export class RegistryError extends Error {}

function fromNpmrc(text: string): string | null {
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*registry\s*=\s*(\S+)\s*$/.exec(line);
    if (m) return m[1]!.replace(/^["']|["']$/g, '');
  }
  return null;
}

export async function npmRegistry(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<string> {
  const fromEnv = env.npm_config_registry ?? env.NPM_CONFIG_REGISTRY;
  if (fromEnv) return fromEnv.replace(/\/+$/, '');
  const rcFiles = [
    path.join(cwd, '.npmrc'),
    env.NPM_CONFIG_USERCONFIG ?? path.join(os.homedir(), '.npmrc'),
    env.NPM_CONFIG_GLOBALCONFIG,
  ].filter(Boolean) as string[];
  for (const f of rcFiles) {
    const found = fromNpmrc(await readFile(f, 'utf8').catch(() => ''));
    if (found) return found.replace(/\/+$/, '');
  }
  try {
    const { stdout } = await promisify(execFile)(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['config', 'get', 'registry'], {
      timeout: 15_000,
      shell: process.platform === 'win32',
    });
    const url = stdout.trim();
    if (/^https?:\/\//.test(url)) return url.replace(/\/+$/, '');
  } catch {
    // fall through to the error below
  }
  throw new RegistryError('No npm registry is configured: set npm_config_registry or "registry=" in ~/.npmrc (or install npm)');
}

/** A package version's tarball address and digest, as the registry publishes them. */
export async function packageTarball(
  registry: string,
  name: string,
  version: string,
  fetchJson: (url: string) => Promise<unknown>,
): Promise<{ tarball: string; integrity: string }> {
  const url = `${registry}/${name.replace('/', '%2f')}/${encodeURIComponent(version)}`;
  const doc = (await fetchJson(url)) as { dist?: { tarball?: unknown; integrity?: unknown } };
  const tarball = doc?.dist?.tarball;
  const integrity = doc?.dist?.integrity;
  if (typeof tarball !== 'string' || typeof integrity !== 'string')
    throw new RegistryError(`${url}: the registry's answer has no dist.tarball / dist.integrity`);
  return { tarball, integrity };
}
