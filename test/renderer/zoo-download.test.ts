// Issue #31, item 10: both nsfwjs cards said 25.0 MB, which read as a mistake.
import { describe, expect, it } from 'vitest';
import type { ZooEntry } from '../../shared/schemas/zoo';
import { readCatalog } from '../../main/zoo/catalog';
import { downloadText } from '../../renderer/src/zoo-download';

describe('a zoo card’s download', () => {
  it('says which other models one npm package download brings', () => {
    const all = readCatalog().map((e) => ({ ...e, installed: false, verified: false, origin: 'catalogue' }) as ZooEntry);
    const mobile = all.find((e) => e.key === 'mobilenetv2_nsfwjs')!;
    expect(downloadText(mobile, all)).toBe('25.0 MB — the nsfwjs package, which also holds inceptionv3_nsfwjs');
    const alone = all.find(
      (e) =>
        e.source.kind !== 'npm' ||
        !all.some((o) => o !== e && o.source.kind === 'npm' && e.source.kind === 'npm' && o.source.package === e.source.package),
    );
    if (alone) expect(downloadText(alone, all)).toMatch(/^\d+\.\d MB$/);
  });
});
