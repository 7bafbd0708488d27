// The page the user was on, remembered across launches (localStorage: the app:// origin in the desktop app, the
// server's origin in web mode). Opening the app at its start route brings that page back.
import type { Router } from 'vue-router';

export const LAST_PAGE_KEY = 'metric-studio.last-page';

/** Pages worth coming back to: not one-off routes that need state a new launch does not have. */
export function rememberable(fullPath: string): boolean {
  return fullPath.startsWith('/') && fullPath !== '/' && !fullPath.startsWith('/datasets/new') && fullPath.length < 2048;
}

export function rememberLastPage(router: Router, storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage): void {
  let first = true;
  router.beforeEach((to) => {
    if (!first) return true;
    first = false;
    const saved = storage.getItem(LAST_PAGE_KEY);
    // Only the bare start ("/" redirects to Datasets) is replaced: a link with its own route keeps it.
    if (to.redirectedFrom?.fullPath === '/' && saved && rememberable(saved) && saved !== to.fullPath) return saved;
    return true;
  });
  router.afterEach((to) => {
    if (rememberable(to.fullPath)) storage.setItem(LAST_PAGE_KEY, to.fullPath);
  });
}
