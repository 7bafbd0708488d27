import { createRouter, createWebHashHistory } from 'vue-router';
import DatasetsPage from './pages/DatasetsPage.vue';
import TrainPage from './pages/TrainPage.vue';
import RunsPage from './pages/RunsPage.vue';
import ExplorerPage from './pages/ExplorerPage.vue';
import ZooPage from './pages/ZooPage.vue';
import RunDetailPage from './pages/RunDetailPage.vue';
import ComparePage from './pages/ComparePage.vue';
import WizardPage from './pages/WizardPage.vue';
import AboutPage from './pages/AboutPage.vue';
import WelcomePage from './pages/WelcomePage.vue';
import { api } from './api';
import { rememberLastPage, restoreLastPage } from './composables/last-page';

restoreLastPage(window.location);

/** Nothing done here yet: no run and no dataset opened. A failed check counts as not empty (Datasets opens as before). */
async function emptyDataFolder(): Promise<boolean> {
  try {
    // One run is enough to know: summarising every run (several queries each) only to count them was the old cost.
    const [runs, recent] = await Promise.all([api().call('runs.list', { limit: 1 }), api().call('datasets.recent', {})]);
    return runs.length === 0 && recent.length === 0;
  } catch {
    return false;
  }
}

// Hash history: works the same from app:// in Electron and from the web-mode server.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    // An empty data folder (no run, no dataset opened yet) opens on the welcome page; any other on Datasets.
    { path: '/', component: WelcomePage, beforeEnter: async () => ((await emptyDataFolder()) ? '/welcome' : '/datasets') },
    { path: '/welcome', component: WelcomePage },
    { path: '/datasets', component: DatasetsPage },
    { path: '/datasets/new', component: WizardPage },
    { path: '/train', component: TrainPage },
    { path: '/runs', component: RunsPage },
    { path: '/runs/:id(\\d+)', component: RunDetailPage },
    { path: '/compare', component: ComparePage },
    { path: '/explorer', component: ExplorerPage },
    { path: '/zoo', component: ZooPage },
    { path: '/about', component: AboutPage },
  ],
});
rememberLastPage(router);
