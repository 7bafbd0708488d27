import { defineStore } from 'pinia';
import type { EventPayload, MethodInput } from '../../../shared/api';
import { api } from '../api';

/** The dataset wizard's calls; its step-by-step state lives in the page. */
export const useWizardStore = defineStore('wizard', () => {
  const columns = (source: string) => api().call('wizard.columns', { source });
  const analyze = (input: MethodInput<'wizard.analyze'>) => api().call('wizard.analyze', input);
  const cancel = (jobId: string) => api().call('wizard.cancel', { jobId });
  const write = (jobId: string, out: string) => api().call('wizard.write', { jobId, out });
  /** Progress of one analysis job; returns the unsubscribe. */
  const onProgress = (jobId: string, listener: (p: EventPayload<'wizard.progress'>) => void) =>
    api().on('wizard.progress', (p) => {
      if (p.jobId === jobId) listener(p);
    });
  return { columns, analyze, cancel, write, onProgress };
});
