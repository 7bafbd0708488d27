/**
 * What the Train form needs to know about a config key, read from the one schema (`config.ts`): the choices of
 * an enum or of a `{name, args}` block's name, a number's bounds. The form is generated from these, so a new
 * optimizer or sampler appears in it without touching the renderer.
 */
import type { z } from 'zod';
import { TrainConfig } from './config';

export type FieldInfo = (
  | { kind: 'choice'; options: (string | number)[]; nullable: boolean }
  | { kind: 'number'; integer: boolean; min: number | null; max: number | null; nullable: boolean }
  | { kind: 'boolean' }
  | { kind: 'text'; nullable: boolean }
) & {
  /** The schema's default: what the run uses when the key is absent (the form shows it). */
  default?: unknown;
};

// zod 4's definitions, as far as this walk reads them.
interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  in?: z.ZodType;
  defaultValue?: unknown;
}
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Unwraps default/optional/nullable/pipe, noting whether null is allowed on the way. */
function unwrap(s: z.ZodType): { schema: z.ZodType; nullable: boolean; default?: unknown } {
  let nullable = false;
  let dflt: { value: unknown } | null = null;
  for (;;) {
    const d = defOf(s);
    if (d.type === 'nullable') nullable = true;
    if (d.type === 'default' && !dflt) dflt = { value: d.defaultValue };
    if ((d.type === 'default' || d.type === 'optional' || d.type === 'nullable' || d.type === 'prefault') && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return { schema: s, nullable, ...(dflt ? { default: dflt.value } : {}) };
  }
}

const literalOf = (branch: z.ZodType): string | undefined => {
  const name = defOf(branch).shape?.name;
  const v = name ? defOf(unwrap(name).schema).values?.[0] : undefined;
  return typeof v === 'string' ? v : undefined;
};

/**
 * The schema at `path` within a config value: object keys are followed, and a union of `{name, args}` branches
 * follows the branch the value's `name` picks (its `name` itself is a choice among every branch).
 */
function schemaAt(
  path: readonly string[],
  value: unknown,
): { schema: z.ZodType; nullable: boolean; union: z.ZodType[] | null; default?: unknown } | null {
  let cur: z.ZodType = TrainConfig;
  let here: unknown = value;
  let nullable = false;
  for (let i = 0; i < path.length; i++) {
    const u = unwrap(cur);
    const d = defOf(u.schema);
    const key = path[i]!;
    if (d.type === 'union' && d.options) {
      if (key === 'name' && i === path.length - 1) return { schema: u.schema, nullable: u.nullable, union: d.options };
      const name = (here as { name?: unknown } | null)?.name;
      const branch = d.options.find((o) => literalOf(o) === name);
      if (!branch) return null;
      cur = branch;
      i--;
      continue;
    }
    if (d.type !== 'object' || !d.shape?.[key]) return null;
    cur = d.shape[key]!;
    here = (here as Record<string, unknown> | null)?.[key];
  }
  const u = unwrap(cur);
  nullable = u.nullable;
  return { schema: u.schema, nullable, union: null, ...('default' in u ? { default: u.default } : {}) };
}

export function fieldInfo(path: readonly string[], value: unknown): FieldInfo | null {
  const found = schemaAt(path, value);
  if (!found) return null;
  const info = kindOf(found);
  return info && 'default' in found && typeof found.default !== 'object' ? { ...info, default: found.default } : info;
}

function kindOf(found: NonNullable<ReturnType<typeof schemaAt>>): FieldInfo | null {
  if (found.union)
    return { kind: 'choice', options: found.union.map(literalOf).filter((n): n is string => n !== undefined), nullable: found.nullable };
  const s = found.schema;
  const d = defOf(s);
  if (d.type === 'enum' && d.entries) return { kind: 'choice', options: Object.values(d.entries), nullable: found.nullable };
  if (d.type === 'number') {
    const n = s as unknown as { isInt: boolean; minValue: number | null; maxValue: number | null };
    const finite = (x: number | null) => (x !== null && Number.isFinite(x) && Math.abs(x) < Number.MAX_SAFE_INTEGER ? x : null);
    return { kind: 'number', integer: n.isInt, min: finite(n.minValue), max: finite(n.maxValue), nullable: found.nullable };
  }
  if (d.type === 'boolean') return { kind: 'boolean' };
  if (d.type === 'union' && d.options) {
    // e.g. backend: 'auto' | one of the backends; threads: 'auto' | a count.
    const defs = d.options.map((o) => defOf(unwrap(o).schema));
    if (defs.every((od) => od.type === 'literal' || (od.type === 'enum' && od.entries))) {
      const options = defs.flatMap((od) => (od.type === 'literal' ? (od.values as (string | number)[]) : Object.values(od.entries!)));
      return { kind: 'choice', options, nullable: found.nullable };
    }
    return { kind: 'text', nullable: found.nullable };
  }
  return { kind: 'text', nullable: found.nullable };
}

/** The keys a `{name, args}` branch's args accept, for carrying args over when the name changes. */
export function argKeys(path: readonly string[], name: string, value: unknown): string[] {
  const found = schemaAt([...path, 'name'], value);
  const branch = found?.union?.find((o) => literalOf(o) === name);
  const args = branch ? defOf(branch).shape?.args : undefined;
  return args ? Object.keys(defOf(unwrap(args).schema).shape ?? {}) : [];
}

/** True when `path` names the `name` of a `{name, args}` union (sampler, criterion, miner, scheduler). */
export function isUnionName(path: readonly string[], value: unknown): boolean {
  return path.at(-1) === 'name' && (schemaAt(path, value)?.union ?? null) !== null;
}
