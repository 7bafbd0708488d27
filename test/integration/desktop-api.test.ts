import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Core, startCore } from '../../main/services/core';
import type { DesktopHost } from '../../main/services/desktop-host';
import { tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
let core: Core;
const host = { pickPath: vi.fn<DesktopHost['pickPath']>(), openFolder: vi.fn<DesktopHost['openFolder']>() };

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-desktop-'));
  core = await startCore(path.join(dir, 'data'), 'ipc', () => {}, undefined, host);
});
afterAll(async () => {
  await core.close();
  cleanup();
});

describe('the desktop host behind the API (what Electron main gives startCore)', () => {
  it('says the desktop is there, and answers the pickers with the chosen path or null for a cancel', async () => {
    expect(await core.dispatch('app.info', {})).toMatchObject({ ok: true, result: { transport: 'ipc', desktop: true } });
    host.pickPath.mockResolvedValueOnce('/data/photos').mockResolvedValueOnce(null);
    expect(await core.dispatch('app.pickPath', { kind: 'folder' })).toEqual({ ok: true, result: { path: '/data/photos' } });
    expect(await core.dispatch('app.pickPath', { kind: 'csv' })).toEqual({ ok: true, result: { path: null } });
    expect(host.pickPath.mock.calls).toEqual([['folder'], ['csv']]);
  });

  it('opens the data folder, and only that one; a failure comes back as a message', async () => {
    host.openFolder.mockResolvedValueOnce(undefined).mockRejectedValueOnce(new Error('no file manager'));
    expect(await core.dispatch('app.openDataFolder', {})).toEqual({ ok: true, result: { opened: path.join(dir, 'data') } });
    expect(host.openFolder).toHaveBeenCalledWith(path.join(dir, 'data'));
    expect(await core.dispatch('app.openDataFolder', {})).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('no file manager') },
    });
    // Whatever the page sends, the folder is the data folder.
    await core.dispatch('app.openDataFolder', { path: '/etc' } as never);
    expect(host.openFolder.mock.calls.every(([p]) => p === path.join(dir, 'data'))).toBe(true);
  });
});
