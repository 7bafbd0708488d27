import { z } from 'zod';

/** Backends in the order Metric Studio prefers them. */
export const BACKEND_PREFERENCE = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export const BackendName = z.enum(BACKEND_PREFERENCE);
export type BackendName = z.infer<typeof BackendName>;

/** The GPU a WebGPU backend found, as its driver describes it. */
export const GpuAdapter = z.object({
  vendor: z.string(),
  architecture: z.string(),
  device: z.string(),
  description: z.string(),
  /** A CPU emulation (lavapipe, SwiftShader, Dawn's fallback): correct but slower than wasm, never picked by auto. */
  fallback: z.boolean(),
  /** The limits that bound a batch: maxBufferSize, maxStorageBufferBindingSize, … in bytes. */
  limits: z.record(z.string(), z.number()),
});
export type GpuAdapter = z.infer<typeof GpuAdapter>;

export const BackendProbe = z.object({
  name: BackendName,
  /** npm package that provides it. */
  package: z.string(),
  available: z.boolean(),
  version: z.string().nullable(),
  /** Why it is not available (the loader's own error), or a note on how it runs. */
  detail: z.string(),
  /** The GPU it would run on (webgpu only). */
  adapter: GpuAdapter.optional(),
});
export type BackendProbe = z.infer<typeof BackendProbe>;

/** Whether `auto` may choose a backend that loads: never a software GPU adapter, which only emulates one. */
export function autoSelectable(p: BackendProbe): boolean {
  return p.available && !p.adapter?.fallback;
}

export const BackendReport = z.object({
  /** What `auto` runs on: the first of BACKEND_PREFERENCE that is autoSelectable. */
  selected: BackendName,
  probes: z.array(BackendProbe),
});
export type BackendReport = z.infer<typeof BackendReport>;
