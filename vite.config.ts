import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import path from 'node:path';

export default defineConfig({
  root: path.resolve(import.meta.dirname, 'renderer'),
  base: './',
  plugins: [vue()],
  build: {
    outDir: path.resolve(import.meta.dirname, 'dist/renderer'),
    emptyOutDir: true,
    // No inline scripts or eval: the CSP allows only 'self'.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1500,
  },
});
