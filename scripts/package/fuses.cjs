// Electron fuses for the packaged app: switches compiled into the Electron binary that turn off ways to run it as
// something else. Flipped by after-pack.cjs on every platform and read back by the packaging test.
const { FuseV1Options, FuseVersion } = require('@electron/fuses');

/**
 * Asar integrity validation is on only for macOS: electron-builder 25 writes the archive's hash into Info.plist
 * there, but not into a Windows executable's resources (a Windows app with the fuse on and no hash would refuse
 * to start), and Linux has no implementation. OnlyLoadAppFromAsar holds everywhere.
 */
function fuseConfig(platform) {
  return {
    version: FuseVersion.V1,
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: platform === 'darwin',
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  };
}

module.exports = { fuseConfig };
