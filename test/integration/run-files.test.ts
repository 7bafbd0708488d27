// Deleting a run's files touches DATA/runs/<id> and nothing else, whatever its stored out_dir says (issue: a
// tampered out_dir deleted the runs folder, the database, and — through a link — a folder outside the data dir).
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRunAndFiles } from '../../main/services/run-files';
import { RunStore } from '../../main/store/runs';
import { tempDir } from '../helpers/tmp';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('ms-run-files-'));
});
afterAll(() => cleanup());

async function runWithFolder(store: RunStore, data: string) {
  const id = await store.createRun({ name: 'r' });
  const own = path.join(data, 'runs', String(id));
  mkdirSync(own, { recursive: true });
  writeFileSync(path.join(own, 'train.log'), 'x');
  return { id, own };
}

describe('deleting a run', () => {
  it('removes its own folder', async () => {
    const data = path.join(dir, 'a');
    const store = await RunStore.open(data);
    const { id, own } = await runWithFolder(store, data);
    await store.setOutDir(id, own, data);
    expect(await deleteRunAndFiles(store, data, id, true)).toBe(own);
    expect(existsSync(own)).toBe(false);
    expect(await store.getRun(id)).toBeNull();
    await store.close();
  });

  it('deletes nothing but the rows when out_dir names the runs folder, the database, a sibling or a link out', async () => {
    const data = path.join(dir, 'b');
    const store = await RunStore.open(data);
    const outside = path.join(dir, 'precious');
    mkdirSync(outside, { recursive: true });
    writeFileSync(path.join(outside, 'keep.txt'), 'mine');
    const sibling = await runWithFolder(store, data);
    const tampered = [path.join(data, 'runs'), path.join(data, 'runs.sqlite'), sibling.own, outside];
    for (const target of tampered) {
      const { id, own } = await runWithFolder(store, data);
      await store.setOutDir(id, target, data);
      expect(await deleteRunAndFiles(store, data, id, true)).toBeNull();
      expect(existsSync(own)).toBe(true);
      expect(await store.getRun(id)).toBeNull();
    }
    // DATA/runs/<id> itself a link to a folder outside: the link is not followed.
    const id = await store.createRun({ name: 'linked' });
    const link = path.join(data, 'runs', String(id));
    rmSync(link, { recursive: true, force: true }); // a kept folder of a deleted run with the same id
    symlinkSync(outside, link);
    await store.setOutDir(id, link, data);
    expect(await deleteRunAndFiles(store, data, id, true)).toBeNull();
    expect(existsSync(path.join(outside, 'keep.txt'))).toBe(true);
    expect(existsSync(path.join(data, 'runs.sqlite'))).toBe(true);
    expect(existsSync(path.join(sibling.own, 'train.log'))).toBe(true);
    expect(await store.getRun(sibling.id)).not.toBeNull();
    await store.close();
  });
});
