// Drawing the explorer's embedding map: plain functions over arrays, so the component stays small and the
// benchmark (bench/map-draw.ts) times exactly what the page runs, at 50k points in Chromium.

export interface Screen {
  px: Float32Array;
  py: Float32Array;
}

/** Data coordinates to canvas pixels, the extent filling the canvas less a margin (y grows upwards). */
export function toScreen(x: readonly number[], y: readonly number[], width: number, height: number, pad: number): Screen {
  // Loops, not Math.min(...x): spreading hundreds of thousands of arguments overflows the stack.
  let [x0, x1, y0, y1] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (let i = 0; i < x.length; i++) {
    x0 = Math.min(x0, x[i]!);
    x1 = Math.max(x1, x[i]!);
    y0 = Math.min(y0, y[i]!);
    y1 = Math.max(y1, y[i]!);
  }
  const sx = (width - 2 * pad) / (x1 - x0 || 1);
  const sy = (height - 2 * pad) / (y1 - y0 || 1);
  const px = new Float32Array(x.length);
  const py = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    px[i] = pad + (x[i]! - x0) * sx;
    py[i] = y0 === y1 ? height / 2 : height - pad - (y[i]! - y0) * sy;
  }
  return { px, py };
}

const rgba = new Map<string, number>();

/** A CSS colour as one little-endian RGBA word (what a Uint32Array view of ImageData holds), via a 1 × 1 canvas. */
function rgbaOf(colour: string, doc: Document): number {
  let v = rgba.get(colour);
  if (v === undefined) {
    const c = doc.createElement('canvas');
    c.width = c.height = 1;
    const x = c.getContext('2d', { willReadFrequently: true })!;
    x.fillStyle = colour;
    x.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = x.getImageData(0, 0, 1, 1).data;
    v = ((a! << 24) | (b! << 16) | (g! << 8) | r!) >>> 0;
    rgba.set(colour, v);
  }
  return v;
}

/**
 * Every point as a 3 × 3 px square written straight into one ImageData and put once: ~a millisecond at 50k points,
 * where a fillRect per point took over 100 ms (bench/map-draw.ts). Later points cover earlier ones.
 */
export function drawPoints(ctx: CanvasRenderingContext2D, s: Screen, colourOf: (i: number) => string): void {
  const { width, height } = ctx.canvas;
  const image = ctx.createImageData(width, height);
  const pixels = new Uint32Array(image.data.buffer);
  const doc = ctx.canvas.ownerDocument;
  let lastColour = '';
  let word = 0;
  for (let i = 0; i < s.px.length; i++) {
    const colour = colourOf(i);
    if (colour !== lastColour) [lastColour, word] = [colour, rgbaOf(colour, doc)];
    const cx = Math.round(s.px[i]!);
    const cy = Math.round(s.py[i]!);
    for (let y = Math.max(0, cy - 1); y <= Math.min(height - 1, cy + 1); y++)
      for (let x = Math.max(0, cx - 1); x <= Math.min(width - 1, cx + 1); x++) pixels[y * width + x] = word;
  }
  ctx.putImageData(image, 0, 0);
}
