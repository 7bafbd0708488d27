// Packages the desktop app with electron-builder: the unpacked app first (always), then this platform's installers
// (AppImage and deb, NSIS, DMG) where electron-builder can fetch the tools they need.
//
//   node scripts/package/dist.mjs [--electron-dist DIR | --stand-in] [--out DIR] [--dir-only]
//
// Electron's own zip comes from an outside host. Where that host cannot be reached, give an unpacked Electron
// (the folder of a downloaded electron-v41.7.1-<platform>-<arch>.zip, or node_modules/electron/dist on a machine
// whose install fetched it) with --electron-dist or ELECTRON_DIST. --stand-in packages around a stand-in that
// cannot run (stand-in-electron.mjs): for checking what ships, as the packaging test does.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build, Platform } from 'electron-builder';
import { writeStandInElectron } from './stand-in-electron.mjs';

const { values } = parseArgs({
  options: {
    'electron-dist': { type: 'string' },
    'stand-in': { type: 'boolean', default: false },
    out: { type: 'string' },
    'dir-only': { type: 'boolean', default: false },
  },
});

let electronDist = values['electron-dist'] ?? process.env.ELECTRON_DIST;
const standIn = values['stand-in'] ? writeStandInElectron(mkdtempSync(path.join(os.tmpdir(), 'electron-stand-in-'))) : null;
if (standIn) {
  electronDist = standIn;
  process.on('exit', () => rmSync(standIn, { recursive: true, force: true }));
}
const config = {
  ...(electronDist ? { electronDist: path.resolve(electronDist) } : {}),
  ...(values.out ? { directories: { output: path.resolve(values.out) } } : {}),
};

const platform = Platform.current();
await build({ targets: platform.createTarget('dir'), config, publish: 'never' });
if (values['dir-only'] || values['stand-in']) process.exit(0);
try {
  await build({ targets: platform.createTarget(), config, publish: 'never' });
} catch (err) {
  console.error(`\nThe installers could not be built here (${err instanceof Error ? err.message.split('\n')[0] : err}).`);
  console.error(
    'They need tools electron-builder downloads (fpm and appimagetool on Linux, NSIS on Windows); the unpacked app above is complete.',
  );
  process.exit(2);
}
