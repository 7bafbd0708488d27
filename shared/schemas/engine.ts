import { z } from 'zod';

/** Backends in the order Metric Studio prefers them. */
export const BACKEND_PREFERENCE = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export const BackendName = z.enum(BACKEND_PREFERENCE);
export type BackendName = z.infer<typeof BackendName>;

export const BackendProbe = z.object({
  name: BackendName,
  /** npm package that provides it. */
  package: z.string(),
  available: z.boolean(),
  version: z.string().nullable(),
  /** Why it is not available (the loader's own error), or a note on how it runs. */
  detail: z.string(),
});
export type BackendProbe = z.infer<typeof BackendProbe>;

export const BackendReport = z.object({
  selected: BackendName,
  probes: z.array(BackendProbe),
});
export type BackendReport = z.infer<typeof BackendReport>;
