import type { Ref } from 'vue';

/**
 * A button's long action: `busy` is true while `work` runs (the button shows it and cannot be pressed twice), and a
 * failure's message lands in `error` (cleared first) instead of escaping as an unhandled rejection.
 */
export async function whileBusy(busy: Ref<boolean>, error: Ref<string | null>, work: () => Promise<void>): Promise<void> {
  busy.value = true;
  error.value = null;
  try {
    await work();
  } catch (e) {
    error.value = (e as Error).message;
  } finally {
    busy.value = false;
  }
}
