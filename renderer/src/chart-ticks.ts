/**
 * Axis labels that tell ticks apart: the fewest significant digits that write every tick as it is (uPlot's
 * default rounded 0.00175 and 0.002 alike, so a learning-rate axis read 0.002, 0.002, 0.001, 0.001). A log axis has
 * no zero or negative tick to label.
 */
export function tickLabels(values: readonly (number | null)[], log = false): string[] {
  const shown = values.map((v) => (v === null || !Number.isFinite(v) || (log && v <= 0) ? null : v));
  for (let digits = 1; digits <= 8; digits++) {
    // Ticks are round numbers (1, 2, 2.5, 5 × 10^k): the digits that write each one exactly, and so apart.
    if (shown.every((v) => v === null || Number(v.toPrecision(digits)) === Number(v.toPrecision(12))))
      return shown.map((v) => (v === null ? '' : format(v, digits)));
  }
  return shown.map((v) => (v === null ? '' : String(v)));
}

function format(v: number, digits: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e6) return v.toExponential(Math.max(0, digits - 1));
  return String(Number(v.toPrecision(digits)));
}
