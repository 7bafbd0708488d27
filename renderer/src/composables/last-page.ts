// The page the user was on, remembered across launches (localStorage: the app:// origin in the desktop app, the
// server's origin in web mode). Opening the app at its start route brings that page back.
import type { Router } from 'vue-router';

export const LAST_PAGE_KEY = 'metric-studio.last-page';

type Store = Pick<Storage, 'getItem' | 'setItem'>;

/** Pages worth coming back to: not one-off routes that need state a new launch does not have. */
export function rememberable(fullPath: string): boolean {
  return fullPath.startsWith('/') && fullPath !== '/' && !fullPath.startsWith('/datasets/new') && fullPath.length < 2048;
}

/**
 * Before the router starts: a launch at the bare start (no route in the URL's hash) opens the remembered page. Done
 * on the hash, not in a global beforeEach guard: with such a guard the Train page lost a field edit made right
 * after choosing a recipe (the train-reload browser test, every time). The mechanism found since: a re-render between
 * typing and the field's change event wrote the model's value back into the input (ConfigForm keeps drafts now).
 */
export function restoreLastPage(location: Pick<Location, 'hash'>, storage: Store = localStorage): void {
  const saved = storage.getItem(LAST_PAGE_KEY);
  if ((location.hash === '' || location.hash === '#/') && saved && rememberable(saved)) location.hash = `#${saved}`;
}

export function rememberLastPage(router: Router, storage: Store = localStorage): void {
  router.afterEach((to) => {
    if (rememberable(to.fullPath)) storage.setItem(LAST_PAGE_KEY, to.fullPath);
  });
}
