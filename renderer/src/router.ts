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
import { rememberLastPage, restoreLastPage } from './composables/last-page';

restoreLastPage(window.location);

// Hash history: works the same from app:// in Electron and from the web-mode server.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/datasets' },
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
