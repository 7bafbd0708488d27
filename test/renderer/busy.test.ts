// A button's long action: busy while it runs, its failure's message kept, the last error cleared on a new try.
import { describe, expect, it } from 'vitest';
import { ref } from 'vue';
import { whileBusy } from '../../renderer/src/busy';

describe('whileBusy', () => {
  it('is busy while the work runs, and keeps a failure as a message', async () => {
    const busy = ref(false);
    const error = ref<string | null>('an earlier failure');
    let during: boolean | null = null;
    await whileBusy(busy, error, async () => {
      during = busy.value;
      expect(error.value).toBeNull();
    });
    expect([during, busy.value, error.value]).toEqual([true, false, null]);
    await expect(
      whileBusy(busy, error, async () => {
        throw new Error('The shipped recipe is missing');
      }),
    ).resolves.toBeUndefined();
    expect([busy.value, error.value]).toEqual([false, 'The shipped recipe is missing']);
  });
});
