import { defineStore } from 'pinia';
import type { TrainEvent } from '../../../shared/schemas/events';
import { api } from '../api';

type Listener = (e: TrainEvent) => void;

/** Events kept per run while no page listens to it (a run started from this window before its page attached). */
const BUFFER_PER_RUN = 5000;

/**
 * The one subscription to `train.events`: events are routed by run id to whoever attached to that run, and
 * buffered (bounded) for runs nobody watches yet — so events that arrive before `train.start` returns are not lost.
 */
export const useTrainEventsStore = defineStore('train-events', () => {
  const buffers = new Map<number, TrainEvent[]>();
  const listeners = new Map<number, Set<Listener>>();
  let subscribed = false;

  function ensureSubscribed() {
    if (subscribed) return;
    subscribed = true;
    api().on('train.events', (e) => {
      const ls = listeners.get(e.runId);
      if (ls?.size) for (const l of ls) l(e);
      else {
        const buf = buffers.get(e.runId) ?? buffers.set(e.runId, []).get(e.runId)!;
        buf.push(e);
        if (buf.length > BUFFER_PER_RUN) buf.splice(0, buf.length - BUFFER_PER_RUN);
      }
    });
  }

  /** Receives the run's buffered events at once, then live ones, until the returned function is called. */
  function attach(runId: number, listener: Listener): () => void {
    ensureSubscribed();
    const set = listeners.get(runId) ?? listeners.set(runId, new Set()).get(runId)!;
    set.add(listener);
    const buffered = buffers.get(runId) ?? [];
    buffers.delete(runId);
    for (const e of buffered) listener(e);
    return () => {
      set.delete(listener);
      if (!set.size) listeners.delete(runId);
    };
  }

  function listenerCount(runId: number): number {
    return listeners.get(runId)?.size ?? 0;
  }
  return { attach, ensureSubscribed, listenerCount };
});
