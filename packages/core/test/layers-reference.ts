// Plain-JavaScript float64 reference computations for the layer tests (browser-safe: no node:*).
// Each mirrors one layer with explicit loops; `numericGrad` differentiates any of them by
// central differences in float64, which is accurate to ~1e-8 and so a reference for gradients.

/** A flat float64 array. */
export type Arr = Float64Array;

/** Convert any numeric array-like to Float64Array. */
export function f64(a: ArrayLike<number>): Arr {
  return Float64Array.from(a);
}

/** y[N, O] = x[N, I] · W[I, O] + b[O]. */
export function linearRef(x: Arr, N: number, I: number, O: number, W: Arr, b: Arr | null): Arr {
  const y = new Float64Array(N * O);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < I; i++) s += x[n * I + i]! * W[i * O + o]!;
      y[n * O + o] = s;
    }
  }
  return y;
}

/** LayerNorm over rows of width C (biased variance). */
export function layerNormRef(x: Arr, rows: number, C: number, w: Arr | null, b: Arr | null, eps: number): Arr {
  const y = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < C; c++) mean += x[r * C + c]!;
    mean /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[r * C + c]! - mean) ** 2;
    v /= C;
    const inv = 1 / Math.sqrt(v + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = (x[r * C + c]! - mean) * inv * (w ? w[c]! : 1) + (b ? b[c]! : 0);
  }
  return y;
}

/** RMSNorm over rows of width C. */
export function rmsNormRef(x: Arr, rows: number, C: number, w: Arr | null, eps: number): Arr {
  const y = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    let ms = 0;
    for (let c = 0; c < C; c++) ms += x[r * C + c]! ** 2;
    const inv = 1 / Math.sqrt(ms / C + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = x[r * C + c]! * inv * (w ? w[c]! : 1);
  }
  return y;
}

/** erf by its Maclaurin series (|x| < 3) or continued fraction tail; accurate to ~1e-13. */
export function erfRef(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let sum = 0;
    let term = ax;
    for (let n = 0; n < 200; n++) {
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
      term *= (-ax * ax) / (n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz), converges fast for |x| ≥ 3.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** Activation references by name. */
export const actRef: Record<string, (x: number) => number> = {
  relu: (x) => Math.max(x, 0),
  gelu: (x) => 0.5 * x * (1 + erfRef(x / Math.SQRT2)),
  gelu_tanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  silu: (x) => x / (1 + Math.exp(-x)),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => Math.tanh(x),
  identity: (x) => x,
};

/** Elementwise map. */
export function mapRef(x: Arr, f: (v: number) => number): Arr {
  return x.map(f);
}

/** Plain MLP: fc2(act(fc1(x))). */
export function mlpRef(x: Arr, N: number, C: number, Hd: number, O: number, p: { w1: Arr; b1: Arr | null; w2: Arr; b2: Arr | null }, act: string): Arr {
  return linearRef(mapRef(linearRef(x, N, C, Hd, p.w1, p.b1), actRef[act]!), N, Hd, O, p.w2, p.b2);
}

/** Gated MLP: down(act(gate(x)) ⊙ up(x)). */
export function gatedMlpRef(x: Arr, N: number, C: number, Hd: number, O: number, p: { wg: Arr; wu: Arr; wd: Arr }, act: string): Arr {
  const g = mapRef(linearRef(x, N, C, Hd, p.wg, null), actRef[act]!);
  const u = linearRef(x, N, C, Hd, p.wu, null);
  return linearRef(g.map((v, i) => v * u[i]!), N, Hd, O, p.wd, null);
}

/** Parameters of {@link attentionRef} ([in, out] weights). */
export interface AttnParams {
  wq: Arr; bq: Arr | null; wk: Arr; bk: Arr | null; wv: Arr; bv: Arr | null; wo: Arr; bo: Arr | null;
}

/**
 * Multi-head (grouped-query) self-attention on x (B, T, C) with H query heads, Hkv key/value heads;
 * query head h reads kv head ⌊h·Hkv/H⌋; mask (B, T) 1 = real token.
 */
export function attentionRef(x: Arr, B: number, T: number, C: number, H: number, Hkv: number, p: AttnParams, causal: boolean, mask: ArrayLike<number> | null): Arr {
  const D = C / H;
  const g = H / Hkv;
  const q = linearRef(x, B * T, C, C, p.wq, p.bq);
  const k = linearRef(x, B * T, C, Hkv * D, p.wk, p.bk);
  const v = linearRef(x, B * T, C, Hkv * D, p.wv, p.bv);
  const merged = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / g);
      for (let i = 0; i < T; i++) {
        const s = new Float64Array(T);
        let max = -Infinity;
        for (let j = 0; j < T; j++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[(b * T + i) * C + h * D + d]! * k[(b * T + j) * Hkv * D + kh * D + d]!;
          let sc = dot / Math.sqrt(D);
          if (causal && j > i) sc += -1e9;
          if (mask && mask[b * T + j] === 0) sc += -1e9;
          s[j] = sc;
          max = Math.max(max, sc);
        }
        let z = 0;
        for (let j = 0; j < T; j++) z += (s[j] = Math.exp(s[j]! - max));
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let j = 0; j < T; j++) acc += (s[j]! / z) * v[(b * T + j) * Hkv * D + kh * D + d]!;
          merged[(b * T + i) * C + h * D + d] = acc;
        }
      }
    }
  }
  return linearRef(merged, B * T, C, C, p.wo, p.bo);
}

/** TensorFlow 'same' padding: [before, after] for one axis. */
export function samePad(inSize: number, k: number, stride: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + k - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Options of {@link conv2dRef}. */
export interface ConvRefOptions {
  stride: [number, number];
  /** 'same', or explicit [top/bottom, left/right] zeros ('valid' is [0, 0]). */
  pad: 'same' | [number, number];
  dilation: [number, number];
  /** Depthwise: w is [kh, kw, Ci, mult], out channel = ci·mult + m. */
  depthwise: boolean;
}

/** Convolution over x (B, H, W, Ci) with w [kh, kw, Ci, Co] (or depthwise [kh, kw, Ci, mult]); returns [y, shape]. */
export function conv2dRef(x: Arr, [B, H, W, Ci]: number[], w: Arr, [kh, kw, , last]: number[], bias: Arr | null, o: ConvRefOptions): [Arr, number[]] {
  const [sh, sw] = o.stride;
  const [dh, dw] = o.dilation;
  const ekh = (kh - 1) * dh + 1;
  const ekw = (kw - 1) * dw + 1;
  let pt: number, pl: number, Ho: number, Wo: number;
  if (o.pad === 'same') {
    pt = samePad(H, ekh, sh)[0];
    pl = samePad(W, ekw, sw)[0];
    Ho = Math.ceil(H / sh);
    Wo = Math.ceil(W / sw);
  } else {
    [pt, pl] = o.pad;
    Ho = Math.floor((H + 2 * pt - ekh) / sh) + 1;
    Wo = Math.floor((W + 2 * pl - ekw) / sw) + 1;
  }
  const Co = o.depthwise ? Ci * last! : last!;
  const y = new Float64Array(B * Ho * Wo * Co);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++)
        for (let co = 0; co < Co; co++) {
          let s = bias ? bias[co]! : 0;
          for (let a = 0; a < kh; a++)
            for (let c = 0; c < kw; c++) {
              const r = i * sh - pt + a * dh;
              const q = j * sw - pl + c * dw;
              if (r < 0 || r >= H || q < 0 || q >= W) continue;
              if (o.depthwise) {
                const ci = Math.floor(co / last!);
                const m = co % last!;
                s += x[((b * H + r) * W + q) * Ci + ci]! * w[((a * kw + c) * Ci + ci) * last! + m]!;
              } else {
                for (let ci = 0; ci < Ci; ci++) s += x[((b * H + r) * W + q) * Ci + ci]! * w[((a * kw + c) * Ci + ci) * Co + co]!;
              }
            }
          y[((b * Ho + i) * Wo + j) * Co + co] = s;
        }
  return [y, [B, Ho, Wo, Co]];
}

/** 'valid' max or average pooling over x (B, H, W, C); returns [y, shape]. */
export function poolRef(x: Arr, [B, H, W, C]: number[], k: number, stride: number, kind: 'max' | 'avg'): [Arr, number[]] {
  const Ho = Math.floor((H - k) / stride) + 1;
  const Wo = Math.floor((W - k) / stride) + 1;
  const y = new Float64Array(B * Ho * Wo * C);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++)
        for (let c = 0; c < C; c++) {
          let acc = kind === 'max' ? -Infinity : 0;
          for (let a = 0; a < k; a++)
            for (let d = 0; d < k; d++) {
              const v = x[((b * H + i * stride + a) * W + j * stride + d) * C + c]!;
              acc = kind === 'max' ? Math.max(acc, v) : acc + v;
            }
          y[((b * Ho + i) * Wo + j) * C + c] = kind === 'max' ? acc : acc / (k * k);
        }
  return [y, [B, Ho, Wo, C]];
}

/** Rows of `table` (width D) picked by ids. */
export function embeddingRef(table: Arr, D: number, ids: ArrayLike<number>): Arr {
  const y = new Float64Array(ids.length * D);
  for (let n = 0; n < ids.length; n++) for (let d = 0; d < D; d++) y[n * D + d] = table[ids[n]! * D + d]!;
  return y;
}

/** Σ out ⊙ r: the scalar loss the tests differentiate. */
export function dotRef(out: Arr, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i]! * r[i]!;
  return s;
}

/** Central-difference gradient of `f` with respect to `params[which]` in float64. */
export function numericGrad(f: (params: Arr[]) => number, params: Arr[], which: number, h = 1e-6): Arr {
  const p = params[which]!;
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const x0 = p[i]!;
    p[i] = x0 + h;
    const fp = f(params);
    p[i] = x0 - h;
    const fm = f(params);
    p[i] = x0;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** Largest |a − e| / max(|e|, floor) over the elements (floor keeps near-zero entries from dominating). */
export function maxRelDiff(a: ArrayLike<number>, e: ArrayLike<number>, floor = 1): number {
  if (a.length !== e.length) throw new Error(`maxRelDiff: lengths ${a.length} and ${e.length} differ`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - e[i]!) / Math.max(Math.abs(e[i]!), floor);
    m = Math.max(m, Number.isNaN(d) ? Infinity : d);
  }
  return m;
}
