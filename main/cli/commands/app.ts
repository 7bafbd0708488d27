import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { appRoot } from '../../paths';
import { type Command, err, out, parse } from '../args';
import { serve } from './serve';

const usage = 'metric-studio app [--web] [--port N] [--data-dir DIR]';
const require = createRequire(import.meta.url);

/** Why Electron cannot start here, or null when it can. */
export function electronUnavailable(
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
  resolveBinary = () => require('electron') as unknown,
): string | null {
  let binary: unknown;
  try {
    binary = resolveBinary();
  } catch (e) {
    return `Electron's binary is not installed (${(e instanceof Error ? e.message : String(e)).split('\n')[0]}). Its download needs internet at install time.`;
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return `Electron's binary is missing (${String(binary)}).`;
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY)
    return 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set).';
  return null;
}

export const appCommand: Command = {
  usage,
  async run(argv) {
    const { values } = parse(argv, { web: { type: 'boolean' }, port: { type: 'string' }, 'data-dir': { type: 'string' } }, usage);
    if (values.help) {
      out(usage);
      return 0;
    }
    const passOn = [...(values.port ? ['--port', values.port] : []), ...(values['data-dir'] ? ['--data-dir', values['data-dir']] : [])];
    const why = values.web ? 'web mode was asked for.' : electronUnavailable();
    if (why) {
      err(`Electron cannot start: ${why}`);
      err('Starting web mode instead: the same app in your browser.');
      return serve.run(passOn);
    }
    const root = appRoot();
    if (!existsSync(path.join(root, 'dist', 'main', 'electron', 'main.cjs'))) {
      err('The app is not built yet: run "npm run build" first.');
      return 1;
    }
    const env = { ...process.env, ...(values['data-dir'] ? { METRIC_STUDIO_DATA_DIR: path.resolve(values['data-dir']) } : {}) };
    const child = spawn(require('electron') as string, [root], { stdio: 'inherit', env });
    return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  },
};
