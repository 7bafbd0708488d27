// AssemblyScript, compiled by scripts/build-simd-kernels.mjs into ../simd-binary.ts. Kernels that work in place on
// the heap of tfjs's wasm backend (the memory is imported, nothing is copied): every pointer is a byte offset in
// it. The module has no data, no allocator and no runtime; the caller passes scratch space (tfjs's malloc).
// Channels are innermost and a multiple of 4 (one f32x4 lane group); the JavaScript side checks that.

// Sums are kept in float32 lanes for this many rows, then added into float64 totals: SIMD speed, and no long
// float32 running sum (an activation channel can have 10⁵ rows).
const FLUSH: i32 = 16;

/** totals[c] += Σ over rows of f(row, c); part is C float32 lanes of scratch. */
@inline function flush(part: usize, totals: usize, C: i32): void {
  for (let c = 0; c < C; c += 4) {
    const p = v128.load(part + (<usize>c << 2));
    const t = totals + (<usize>c << 3);
    v128.store(t, f64x2.add(v128.load(t), f64x2.promote_low_f32x4(p)));
    v128.store(t + 16, f64x2.add(v128.load(t + 16), f64x2.promote_low_f32x4(i32x4.shuffle(p, p, 2, 3, 0, 1))));
    v128.store(part + (<usize>c << 2), f32x4.splat(0));
  }
}

function zero(p: usize, bytes: i32): void {
  memory.fill(p, 0, <usize>bytes);
}

/** Scratch laid out for `cells` sums: float64 totals at its start, then float32 partial sums (returned), all zero. */
function clearSums(scratch: usize, cells: i32): usize {
  zero(scratch, cells << 3);
  const part = scratch + (<usize>cells << 3);
  zero(part, cells << 2);
  return part;
}

/** y = (x − μ)·k + β per channel, k = γ/√(σ² + ε) already made. */
function normalize(x: usize, rows: i32, C: i32, mean: usize, k: usize, offset: usize, y: usize): void {
  const rowBytes = <usize>C << 2;
  for (let r = 0; r < rows; r++) {
    const i = <usize>r * rowBytes;
    for (let c = 0; c < C; c += 4) {
      const o = <usize>c << 2;
      const d = f32x4.sub(v128.load(x + i + o), v128.load(mean + o));
      v128.store(y + i + o, f32x4.add(f32x4.mul(d, v128.load(k + o)), v128.load(offset + o)));
    }
  }
}

/**
 * Training-mode batch norm of x [rows, C]: the batch mean and biased variance per channel, and
 * y = (x − μ)·γ/√(σ² + ε) + β. Scratch: 16·C bytes.
 */
export function bnForward(
  x: usize, rows: i32, C: i32, scale: usize, offset: usize, eps: f32,
  y: usize, mean: usize, variance: usize, scratch: usize,
): void {
  const totals = scratch; // C f64
  const part = scratch + (<usize>C << 3); // C f32
  const rowBytes = <usize>C << 2;
  // Pass 1: μ = Σx / rows (leaves part zeroed).
  columnSums(x, rows, C, 1 / <f64>rows, mean, scratch);
  // Pass 2: Σ(x − μ)², centred (no cancellation when |μ| ≫ σ).
  zero(totals, C << 3);
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * rowBytes;
    for (let c = 0; c < C; c += 4) {
      const o = <usize>c << 2;
      const d = f32x4.sub(v128.load(row + o), v128.load(mean + o));
      v128.store(part + o, f32x4.add(v128.load(part + o), f32x4.mul(d, d)));
    }
    if ((r + 1) % FLUSH == 0 || r + 1 == rows) flush(part, totals, C);
  }
  // k = γ/√(σ² + ε) reuses the totals' space.
  const k = totals;
  for (let c = 0; c < C; c++) {
    const v = <f32>(load<f64>(totals + (<usize>c << 3)) / <f64>rows);
    store<f32>(variance + (<usize>c << 2), v);
    store<f32>(k + (<usize>c << 2), <f32>(<f64>load<f32>(scale + (<usize>c << 2)) / Math.sqrt(<f64>v + <f64>eps)));
  }
  // Pass 3: y.
  normalize(x, rows, C, mean, k, offset, y);
}

/**
 * The backward of bnForward: dγ = Σdy·x̂, dβ = Σdy, dx = γ/σ·(dy − Σdy/M − x̂·Σ(dy·x̂)/M), as
 * dx = a·dy + b·(x − μ) + d per channel. Scratch: 36·C bytes.
 */
export function bnBackward(
  dy: usize, x: usize, rows: i32, C: i32, scale: usize, mean: usize, variance: usize, eps: f32,
  dx: usize, dscale: usize, doffset: usize, scratch: usize,
): void {
  const sumDy = scratch; // C f64
  const sumDyC = scratch + (<usize>C << 3); // C f64
  const part1 = scratch + (<usize>C << 4); // C f32
  const part2 = part1 + (<usize>C << 2); // C f32
  const a = part2 + (<usize>C << 2); // C f32 each: a, b, d
  const b = a + (<usize>C << 2);
  const d = b + (<usize>C << 2);
  const rowBytes = <usize>C << 2;
  zero(scratch, C << 5);
  for (let r = 0; r < rows; r++) {
    const i = <usize>r * rowBytes;
    for (let c = 0; c < C; c += 4) {
      const o = <usize>c << 2;
      const g = v128.load(dy + i + o);
      const centred = f32x4.sub(v128.load(x + i + o), v128.load(mean + o));
      v128.store(part1 + o, f32x4.add(v128.load(part1 + o), g));
      v128.store(part2 + o, f32x4.add(v128.load(part2 + o), f32x4.mul(g, centred)));
    }
    if ((r + 1) % FLUSH == 0 || r + 1 == rows) {
      flush(part1, sumDy, C);
      flush(part2, sumDyC, C);
    }
  }
  const M = <f64>rows;
  for (let c = 0; c < C; c++) {
    const o4 = <usize>c << 2;
    const o8 = <usize>c << 3;
    const rstd = 1 / Math.sqrt(<f64>load<f32>(variance + o4) + <f64>eps);
    const gamma = <f64>load<f32>(scale + o4);
    const s1 = load<f64>(sumDy + o8);
    const s2 = load<f64>(sumDyC + o8);
    store<f32>(doffset + o4, <f32>s1);
    store<f32>(dscale + o4, <f32>(s2 * rstd));
    store<f32>(a + o4, <f32>(gamma * rstd));
    store<f32>(b + o4, <f32>((-gamma * rstd * rstd * rstd * s2) / M));
    store<f32>(d + o4, <f32>((-gamma * rstd * s1) / M));
  }
  for (let r = 0; r < rows; r++) {
    const i = <usize>r * rowBytes;
    for (let c = 0; c < C; c += 4) {
      const o = <usize>c << 2;
      const centred = f32x4.sub(v128.load(x + i + o), v128.load(mean + o));
      const v = f32x4.add(f32x4.mul(v128.load(a + o), v128.load(dy + i + o)), f32x4.mul(v128.load(b + o), centred));
      v128.store(dx + i + o, f32x4.add(v, v128.load(d + o)));
    }
  }
}

/** ReLU6's gradient: dx = dy where 0 < x ≤ 6, else 0 (n a multiple of 4). */
export function relu6Backward(dy: usize, x: usize, n: i32, dx: usize): void {
  const zeros = f32x4.splat(0);
  const six = f32x4.splat(6);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const inside = v128.and(f32x4.gt(v, zeros), f32x4.le(v, six));
    v128.store(dx + o, v128.and(v128.load(dy + o), inside));
  }
}

/**
 * A depthwise 3-D shape: batch B, input H×W, output OH×OW, C channels (a multiple of 4), an fH×fW filter with
 * channel multiplier 1, strides sH, sW and top/left padding. Each output pixel (b, oh, ow) reads the input pixel
 * (oh·sH − top + kh, ow·sW − left + kw) through filter tap (kh, kw); the two gradients below walk those pairs.
 */

/**
 * Every (output pixel, filter tap) pair of batch item b, adding a·b per channel into out. The filter's gradient
 * (toTap): out = the tap's row of the sums, a = the input pixel the tap reads, b = dy at the output pixel. The
 * input's gradient: out = that input pixel of dx, a = dy at the output pixel, b = the tap's weights.
 */
function depthwisePairs(
  b: i32, first: usize, second: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32,
  fH: i32, fW: i32, sH: i32, sW: i32, top: i32, left: i32, out: usize, toTap: bool,
): void {
  const rowBytes = <usize>C << 2;
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) {
      const pixel = <usize>((b * OH + oh) * OW + ow) * rowBytes;
      for (let kh = 0; kh < fH; kh++) {
        const ih = oh * sH - top + kh;
        if (ih < 0 || ih >= H) continue;
        for (let kw = 0; kw < fW; kw++) {
          const iw = ow * sW - left + kw;
          if (iw < 0 || iw >= W) continue;
          const input = <usize>((b * H + ih) * W + iw) * rowBytes;
          const tap = <usize>(kh * fW + kw) * rowBytes;
          const dst = out + (toTap ? tap : input);
          const x = first + (toTap ? input : pixel);
          const y = second + (toTap ? pixel : tap);
          for (let c = 0; c < C; c += 4) {
            const o = <usize>c << 2;
            v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(v128.load(x + o), v128.load(y + o))));
          }
        }
      }
    }
  }
}

/** dW[kh, kw, c] = Σ x[b, ih, iw, c]·dy[b, oh, ow, c], in float32 per batch item then float64 (scratch: 12·fH·fW·C bytes). */
export function depthwiseFilterGrad(
  x: usize, dy: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
  fH: i32, fW: i32, sH: i32, sW: i32, top: i32, left: i32, dw: usize, scratch: usize,
): void {
  const taps = fH * fW * C;
  const totals = scratch;
  const part = clearSums(scratch, taps);
  for (let b = 0; b < B; b++) {
    depthwisePairs(b, x, dy, H, W, C, OH, OW, fH, fW, sH, sW, top, left, part, true);
    flush(part, totals, taps);
  }
  storeTotals(totals, taps, dw);
}

/** dx[b, ih, iw, c] = Σ over the taps that read it of dy[b, oh, ow, c]·w[kh, kw, c]. */
export function depthwiseInputGrad(
  dy: usize, w: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
  fH: i32, fW: i32, sH: i32, sW: i32, top: i32, left: i32, dx: usize,
): void {
  zero(dx, B * H * W * C << 2);
  for (let b = 0; b < B; b++) depthwisePairs(b, dy, w, H, W, C, OH, OW, fH, fW, sH, sW, top, left, dx, false);
}

/**
 * One Adam update of n values, tfjs's AdamOptimizer arithmetic in the same float32 operations and order (so the
 * same numbers): m' = m·β₁ + g·(1 − β₁), v' = v·β₂ + g²·(1 − β₂), w' = (m'/c₁)/(√(v'/c₂) + ε)·(−lr) + w, with
 * c = 1 − βᵗ.
 */
export function adamStep(
  value: usize, m: usize, v: usize, g: usize, n: i32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, c1: f32, c2: f32, eps: f32, negLr: f32,
  outValue: usize, outM: usize, outV: usize,
): void {
  const b1 = f32x4.splat(beta1);
  const ob1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2);
  const ob2 = f32x4.splat(oneMinusBeta2);
  const cm = f32x4.splat(c1);
  const cv = f32x4.splat(c2);
  const e = f32x4.splat(eps);
  const lr = f32x4.splat(negLr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o);
    const nm = f32x4.add(f32x4.mul(v128.load(m + o), b1), f32x4.mul(gv, ob1));
    const nv = f32x4.add(f32x4.mul(v128.load(v + o), b2), f32x4.mul(f32x4.mul(gv, gv), ob2));
    const step = f32x4.div(f32x4.div(nm, cm), f32x4.add(f32x4.sqrt(f32x4.div(nv, cv)), e));
    v128.store(outValue + o, f32x4.add(f32x4.mul(step, lr), v128.load(value + o)));
    v128.store(outM + o, nm);
    v128.store(outV + o, nv);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gs = load<f32>(g + o);
    const nm: f32 = load<f32>(m + o) * beta1 + gs * oneMinusBeta1;
    const nv: f32 = load<f32>(v + o) * beta2 + gs * gs * oneMinusBeta2;
    const step: f32 = nm / c1 / (Mathf.sqrt(nv / c2) + eps);
    store<f32>(outValue + o, step * negLr + load<f32>(value + o));
    store<f32>(outM + o, nm);
    store<f32>(outV + o, nv);
  }
}

/**
 * part[i, j] += Σ_k a_k[i]·b_k[j] over `count` rows: row k of a (I values) at a + k·aStep, of b (J values, a multiple
 * of 4) at b + k·bStep.
 */
@inline function productRows(a: usize, aStep: usize, b: usize, bStep: usize, count: i32, I: i32, J: i32, part: usize): void {
  const bRow = <usize>J << 2;
  let i = 0;
  // Two rows of the sums by 16 columns held in eight registers over all `count` rows: per row, two values of a and
  // four vectors of b make 32 products, with no load or store of a running sum.
  for (; i + 2 <= I; i += 2) {
    const acc0 = part + <usize>i * bRow;
    const acc1 = acc0 + bRow;
    const ai = a + (<usize>i << 2);
    let j = 0;
    for (; j + 16 <= J; j += 16) {
      const o = <usize>j << 2;
      let s00 = v128.load(acc0 + o);
      let s01 = v128.load(acc0 + o + 16);
      let s02 = v128.load(acc0 + o + 32);
      let s03 = v128.load(acc0 + o + 48);
      let s10 = v128.load(acc1 + o);
      let s11 = v128.load(acc1 + o + 16);
      let s12 = v128.load(acc1 + o + 32);
      let s13 = v128.load(acc1 + o + 48);
      let ar = ai;
      let br = b + o;
      for (let k = 0; k < count; k++) {
        const x0 = f32x4.splat(load<f32>(ar));
        const x1 = f32x4.splat(load<f32>(ar, 4));
        const b0 = v128.load(br);
        const b1 = v128.load(br, 16);
        const b2 = v128.load(br, 32);
        const b3 = v128.load(br, 48);
        s00 = f32x4.add(s00, f32x4.mul(x0, b0));
        s01 = f32x4.add(s01, f32x4.mul(x0, b1));
        s02 = f32x4.add(s02, f32x4.mul(x0, b2));
        s03 = f32x4.add(s03, f32x4.mul(x0, b3));
        s10 = f32x4.add(s10, f32x4.mul(x1, b0));
        s11 = f32x4.add(s11, f32x4.mul(x1, b1));
        s12 = f32x4.add(s12, f32x4.mul(x1, b2));
        s13 = f32x4.add(s13, f32x4.mul(x1, b3));
        ar += aStep;
        br += bStep;
      }
      v128.store(acc0 + o, s00);
      v128.store(acc0 + o + 16, s01);
      v128.store(acc0 + o + 32, s02);
      v128.store(acc0 + o + 48, s03);
      v128.store(acc1 + o, s10);
      v128.store(acc1 + o + 16, s11);
      v128.store(acc1 + o + 32, s12);
      v128.store(acc1 + o + 48, s13);
    }
    // Columns left over, four at a time; rows in pairs, so each running sum takes one addition per two rows.
    for (; j < J; j += 4) {
      const o = <usize>j << 2;
      let s0 = v128.load(acc0 + o);
      let s1 = v128.load(acc1 + o);
      let ar = ai;
      let br = b + o;
      let k = 0;
      for (; k + 2 <= count; k += 2) {
        const b0 = v128.load(br);
        const b1 = v128.load(br + bStep);
        s0 = f32x4.add(s0, f32x4.add(f32x4.mul(f32x4.splat(load<f32>(ar)), b0), f32x4.mul(f32x4.splat(load<f32>(ar + aStep)), b1)));
        s1 = f32x4.add(s1, f32x4.add(f32x4.mul(f32x4.splat(load<f32>(ar, 4)), b0), f32x4.mul(f32x4.splat(load<f32>(ar + aStep, 4)), b1)));
        ar += 2 * aStep;
        br += 2 * bStep;
      }
      if (k < count) {
        const bv = v128.load(br);
        s0 = f32x4.add(s0, f32x4.mul(f32x4.splat(load<f32>(ar)), bv));
        s1 = f32x4.add(s1, f32x4.mul(f32x4.splat(load<f32>(ar, 4)), bv));
      }
      v128.store(acc0 + o, s0);
      v128.store(acc1 + o, s1);
    }
  }
  // A last single row of the sums (I odd, e.g. one input channel): rows four at a time, summed pairwise.
  for (; i < I; i++) {
    const acc = part + <usize>i * bRow;
    const ai = a + (<usize>i << 2);
    for (let j = 0; j < J; j += 4) {
      const o = <usize>j << 2;
      let s0 = v128.load(acc + o);
      let ar = ai;
      let br = b + o;
      let k = 0;
      for (; k + 4 <= count; k += 4) {
        const p01 = f32x4.add(
          f32x4.mul(f32x4.splat(load<f32>(ar)), v128.load(br)),
          f32x4.mul(f32x4.splat(load<f32>(ar + aStep)), v128.load(br + bStep)),
        );
        const p23 = f32x4.add(
          f32x4.mul(f32x4.splat(load<f32>(ar + 2 * aStep)), v128.load(br + 2 * bStep)),
          f32x4.mul(f32x4.splat(load<f32>(ar + 3 * aStep)), v128.load(br + 3 * bStep)),
        );
        s0 = f32x4.add(s0, f32x4.add(p01, p23));
        ar += 4 * aStep;
        br += 4 * bStep;
      }
      for (; k < count; k++) {
        s0 = f32x4.add(s0, f32x4.mul(f32x4.splat(load<f32>(ar)), v128.load(br)));
        ar += aStep;
        br += bStep;
      }
      v128.store(acc + o, s0);
    }
  }
}

/** The float64 totals, rounded to float32, into out. */
function storeTotals(totals: usize, cells: i32, out: usize): void {
  for (let k = 0; k < cells; k++) store<f32>(out + (<usize>k << 2), <f32>load<f64>(totals + (<usize>k << 3)));
}

/** Totals of `rows` × J columns into columns j0 … j0 + J of an out with O columns (a share of the columns). */
function storeColumns(totals: usize, rows: i32, J: i32, out: usize, O: i32, j0: i32): void {
  for (let r = 0; r < rows; r++) storeTotals(totals + (<usize>(r * J) << 3), J, out + (<usize>(r * O + j0) << 2));
}

/**
 * out[i, j] = Σ_r a[r, i]·b[r, j] for a [rows, I] and b [rows, O] (O a multiple of 4): aᵀ·b, the weight gradient of
 * a 1×1 convolution (rows = batch·height·width). Only columns j0 … j0 + J (J a multiple of 4): two threads each take
 * a share, with the same sums in the same order as one. Sums in float32 for FLUSH rows, then float64 (scratch:
 * 12·I·J bytes).
 */
export function transposedProduct(
  a: usize, b: usize, rows: i32, I: i32, O: i32, j0: i32, J: i32, out: usize, scratch: usize,
): void {
  const cells = I * J;
  const totals = scratch;
  const part = clearSums(scratch, cells);
  const aRow = <usize>I << 2;
  const bRow = <usize>O << 2;
  const b0 = b + (<usize>j0 << 2);
  for (let r = 0; r < rows; r += FLUSH) {
    productRows(a + <usize>r * aRow, aRow, b0 + <usize>r * bRow, bRow, min(FLUSH, rows - r), I, J, part);
    flush(part, totals, cells);
  }
  storeColumns(totals, I, J, out, O, j0);
}

/**
 * A convolution's weight gradient, dW[kh, kw, i, o] = Σ x[b, oh·sH − top + kh, ow·sW − left + kw, i]·dy[b, oh, ow, o]
 * (O a multiple of 4), for output channels j0 … j0 + J (a multiple of 4; a thread's share): for each output row and
 * filter tap, the product of the input pixels the tap reads (a strided run of one input row) with that output row of
 * dy. Each tap's sums are float32 for at least FLUSH output pixels, then float64 (scratch: 12·fH·fW·I·J bytes).
 */
export function convFilterGrad(
  x: usize, dy: usize, B: i32, H: i32, W: i32, I: i32, O: i32, OH: i32, OW: i32,
  fH: i32, fW: i32, sH: i32, sW: i32, top: i32, left: i32, j0: i32, J: i32, dw: usize, scratch: usize,
): void {
  const tapCells = I * J;
  const cells = fH * fW * tapCells;
  const totals = scratch;
  const part = clearSums(scratch, cells);
  const xPixel = <usize>I << 2;
  const dyPixel = <usize>O << 2;
  const dyShare = dy + (<usize>j0 << 2);
  let pending = 0;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const dyRow = dyShare + <usize>((b * OH + oh) * OW) * dyPixel;
      for (let kh = 0; kh < fH; kh++) {
        const ih = oh * sH - top + kh;
        if (ih < 0 || ih >= H) continue;
        const xRow = x + <usize>((b * H + ih) * W) * xPixel;
        for (let kw = 0; kw < fW; kw++) {
          // The output columns whose input column ow·sW − left + kw lies inside the row.
          const reach = W - 1 + left - kw; // ow·sW may go up to this
          if (reach < 0) continue;
          const lo = max(0, (left - kw + sW - 1) / sW);
          const hi = min(OW - 1, reach / sW);
          if (hi < lo) continue;
          const iw = lo * sW - left + kw;
          const tap = part + <usize>((kh * fW + kw) * tapCells) * 4;
          productRows(xRow + <usize>iw * xPixel, <usize>sW * xPixel, dyRow + <usize>lo * dyPixel, dyPixel, hi - lo + 1, I, J, tap);
        }
      }
      pending += OW;
      if (pending >= FLUSH) {
        flush(part, totals, cells);
        pending = 0;
      }
    }
  }
  flush(part, totals, cells);
  storeColumns(totals, fH * fW * I, J, dw, O, j0);
}

/** out[c] = Σ_r x[r, c] (C a multiple of 4), float32 for FLUSH rows then float64 (scratch: 12·C bytes). */
export function columnSums(x: usize, rows: i32, C: i32, scale: f64, out: usize, scratch: usize): void {
  const totals = scratch;
  const part = clearSums(scratch, C);
  const rowBytes = <usize>C << 2;
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * rowBytes;
    for (let c = 0; c < C; c += 4) {
      const o = <usize>c << 2;
      v128.store(part + o, f32x4.add(v128.load(part + o), v128.load(row + o)));
    }
    if ((r + 1) % FLUSH == 0 || r + 1 == rows) flush(part, totals, C);
  }
  for (let c = 0; c < C; c++) store<f32>(out + (<usize>c << 2), <f32>(load<f64>(totals + (<usize>c << 3)) * scale));
}

/** ReLU's gradient: dx = dy where x > 0, else 0 (n a multiple of 4). */
export function reluBackward(dy: usize, x: usize, n: i32, dx: usize): void {
  const zeros = f32x4.splat(0);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(x + o), zeros)));
  }
}

/**
 * MaxPool's gradient for windows that tile the input (stride = window, no padding): each window's dy goes to its
 * first maximal pixel in row-major order (the cpu backend's rule), every other pixel gets 0. x [B, H, W, C] with
 * C a multiple of 4; dy [B, OH, OW, C] with OH = H / fH and OW = W / fW (rounded down: leftover rows and
 * columns get 0).
 */
export function maxPoolTiledBackward(
  x: usize, dy: usize, B: i32, H: i32, W: i32, C: i32, fH: i32, fW: i32, dx: usize,
): void {
  const OH = H / fH;
  const OW = W / fW;
  const rowBytes = <usize>C << 2;
  zero(dx, B * H * W * C << 2);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const g = dy + <usize>((b * OH + oh) * OW + ow) * rowBytes;
        const first = <usize>((b * H + oh * fH) * W + ow * fW) * rowBytes;
        for (let c = 0; c < C; c += 4) {
          const o = <usize>c << 2;
          // The window's maximum per lane, then the first pixel that reaches it.
          let best = v128.load(x + first + o);
          for (let kh = 0; kh < fH; kh++) {
            for (let kw = 0; kw < fW; kw++) {
              const p = first + <usize>(kh * W + kw) * rowBytes;
              best = f32x4.max(best, v128.load(x + p + o));
            }
          }
          let taken = i32x4.splat(0);
          const gv = v128.load(g + o);
          for (let kh = 0; kh < fH; kh++) {
            for (let kw = 0; kw < fW; kw++) {
              const p = first + <usize>(kh * W + kw) * rowBytes;
              const hit = v128.andnot(f32x4.eq(v128.load(x + p + o), best), taken);
              v128.store(dx + p + o, v128.and(gv, hit));
              taken = v128.or(taken, hit);
            }
          }
        }
      }
    }
  }
}

/**
 * Inference batch norm with given statistics: y = (x − μ)·γ/√(σ² + ε) + β per channel (C a multiple of 4). tfjs's
 * wasm FusedBatchNorm walks the input with per-element broadcast index arithmetic: 62 % of a MobileNetV2 forward.
 * Scratch: 4·C bytes.
 */
export function batchNormInference(
  x: usize, rows: i32, C: i32, mean: usize, variance: usize, scale: usize, offset: usize, eps: f32, y: usize, scratch: usize,
): void {
  const k = scratch;
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    store<f32>(k + o, load<f32>(scale + o) / Mathf.sqrt(load<f32>(variance + o) + eps));
  }
  normalize(x, rows, C, mean, k, offset, y);
}
