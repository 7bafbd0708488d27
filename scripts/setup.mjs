#!/usr/bin/env node
// `npm run setup`: install dependencies, fetch Electron's binary if this machine can, build the app.
// Electron's own postinstall would fail the whole install where its download host is unreachable, so the
// install skips it and the binary is fetched as a separate, optional step.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args, env = {}) => spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status;

// ONNX Runtime's CPU build ships in its package; its postinstall would only add the CUDA provider from an outside host.
const installEnv = { ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ONNXRUNTIME_NODE_INSTALL: 'skip' };
if (run(npm, ['install', '--no-audit', '--no-fund'], installEnv) !== 0) process.exit(1);

if (existsSync('node_modules/electron/install.js')) {
  const ok = spawnSync(process.execPath, ['node_modules/electron/install.js'], { stdio: 'pipe', encoding: 'utf8' });
  if (ok.status === 0) console.log('Electron binary installed: `npm start` opens the desktop app.');
  else
    console.log(
      `Electron's binary could not be downloaded (${(ok.stderr || '').split('\n').find((l) => l.trim()) ?? 'no network'}).\n\`npm start\` will run web mode in your browser instead.`,
    );
}
if (run(npm, ['run', 'build']) !== 0) process.exit(1);
console.log('\nReady. `npm start` runs Metric Studio; `npm test` runs the tests.');
