/** A constructor argument OML would reject: same rule, same wording. */
export class SamplerError extends Error {}

export function requireInt(name: string, v: number): void {
  if (!Number.isInteger(v)) throw new SamplerError(`${name} must be int, ${v} given`);
}

export function requireTwoPerLabel(byLabel: Map<number, number[]>): void {
  const single = [...byLabel.entries()].filter(([, ids]) => ids.length < 2).map(([l]) => l);
  if (single.length)
    throw new SamplerError(
      `Each label must contain at least 2 instances; labels with one: ${single.slice(0, 10).join(', ')}${single.length > 10 ? ' …' : ''}`,
    );
}
