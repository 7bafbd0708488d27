// Sandboxed preload: runs in the page's renderer process (not the main process), bundled to one CommonJS file;
// it may only use electron's renderer modules and shared/ipc.
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge';

contextBridge.exposeInMainWorld('metricStudio', createBridge(ipcRenderer));
