/**
 * Epochs are stored from 0 (as OML's and Lightning's loops count them: checkpoints, metrics, events) and shown to
 * people from 1 — "epoch 1 of 10" is the first. The untrained network's validation, stored as epoch −1, shows as
 * epoch 0: before training. Every text and chart that names an epoch goes through here.
 */
export const shownEpoch = (stored: number): number => stored + 1;
