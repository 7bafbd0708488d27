// Sandboxed preload: bundled to CommonJS, may only use `electron`'s renderer modules.
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge';

contextBridge.exposeInMainWorld('metricStudio', createBridge(ipcRenderer));
