// A stand-in for Electron's unpacked distribution, for packaging where Electron's zip cannot be downloaded (this
// machine, CI). electron-builder copies the folder and renames `electron` to the app's executable; the stand-in's
// `electron` is a shell script that says what it is and carries a fuse wire with Electron's defaults, so that the
// after-pack hook flips real bytes and the packaging test can read them back. It cannot run the app.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's defaults, fuse by fuse (RunAsNode on, cookie encryption off, NODE_OPTIONS on, --inspect on, …). */
const DEFAULT_WIRE = '10110001';

export function writeStandInElectron(dir) {
  mkdirSync(path.join(dir, 'resources'), { recursive: true });
  const script = `#!/bin/sh\necho "stand-in for Electron: packaging checks only, cannot run the app" >&2\nexit 1\n# fuse wire: ${SENTINEL}`;
  writeFileSync(
    path.join(dir, 'electron'),
    Buffer.concat([Buffer.from(script), Buffer.from([1, DEFAULT_WIRE.length]), Buffer.from(`${DEFAULT_WIRE}\n`)]),
  );
  chmodSync(path.join(dir, 'electron'), 0o755);
  writeFileSync(path.join(dir, 'version'), 'stand-in');
  writeFileSync(path.join(dir, 'LICENSE'), 'Stand-in for an Electron distribution (packaging tests).\n');
  return dir;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = path.resolve(process.argv[2] ?? 'release/electron-stand-in');
  writeStandInElectron(dir);
  console.log(dir);
}
