/**
 * A model as the Explorer and the quality panel name it in their menus: '' = raw pixels, `ckpt:<folder>` = a run's
 * checkpoint, `zoo:<key>` = an installed zoo model; as request fields, the checkpoint or zoo key the API takes.
 */
export const modelArgs = (value: string) => ({
  checkpoint: value.startsWith('ckpt:') ? value.slice(5) : undefined,
  zoo: value.startsWith('zoo:') ? value.slice(4) : undefined,
});
