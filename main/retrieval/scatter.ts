/**
 * The centred data's scatter matrix XᵀX (d × d), upper triangle only — the explorer's PCA covariance and PCF's
 * eigenproblem start from it (each scales and mirrors it its own way). Row by row: the centred data is never held.
 */
export function scatterUpper(data: Float32Array, count: number, dim: number, mean: Float64Array): Float64Array {
  const m = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) row[j] = data[i * dim + j]! - mean[j]!;
    for (let a = 0; a < dim; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      const base = a * dim;
      for (let b = a; b < dim; b++) m[base + b]! += ra * row[b]!;
    }
  }
  return m;
}
