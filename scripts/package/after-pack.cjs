// electron-builder's afterPack hook: flips the Electron fuses (fuses.cjs) in the packed binary before any signing,
// so that a signature covers the flipped bytes. electron-builder 25 has no fuse option of its own.
const path = require('node:path');
const { flipFuses } = require('@electron/fuses');
const { fuseConfig } = require('./fuses.cjs');

/** The file that holds the fuse wire: the .app bundle on macOS (@electron/fuses finds the framework), else the executable. */
function electronBinary(context) {
  const { electronPlatformName: platform, appOutDir, packager } = context;
  const name = packager.appInfo.productFilename;
  if (platform === 'darwin' || platform === 'mas') return path.join(appOutDir, `${name}.app`);
  if (platform === 'win32') return path.join(appOutDir, `${name}.exe`);
  return path.join(appOutDir, packager.executableName);
}

exports.default = async function afterPack(context) {
  const binary = electronBinary(context);
  await flipFuses(binary, {
    ...fuseConfig(context.electronPlatformName),
    // An arm64 macOS binary must carry a valid (ad hoc) signature after its bytes change.
    resetAdHocDarwinSignature: context.electronPlatformName === 'darwin' && context.arch === 3,
  });
  console.log(`  • fuses flipped  file=${path.relative(process.cwd(), binary)}`);
};
exports.electronBinary = electronBinary;
