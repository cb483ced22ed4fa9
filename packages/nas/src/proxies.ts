// Zero-cost proxies (Zero-Cost Proxies for Lightweight NAS, arXiv 2101.08134): scores of an
// untrained network from one batch, and Kendall's τ against trained accuracy.
//  - grad-norm: Σ_tensors ‖∇θ L‖₂.
//  - SNIP (arXiv 1810.02340): Σ |θ ⊙ ∇θ L|.
//  - SynFlow (arXiv 2006.05467): Σ θ ⊙ ∂R/∂θ with θ → |θ|, an all-ones input, R = Σ output.
//    Computed in the log domain: each weight tensor is divided by its mean |θ| (s_t) before the
//    pass and log Σ θ∂R/∂θ = log(score of the rescaled net) + Σ_t log s_t, which holds exactly
//    when R is multilinear in the weight tensors and every tensor lies on every input→output
//    path (chains of linear/conv layers with ReLU or pools: MLPs, CNNs, entangled subnets).
//    Departure: biases (rank-1 weights) are zeroed during the pass, which that identity needs.
//  - NASWOT (arXiv 2006.04647): log|det K|, K = C Cᵀ + (1 − C)(1 − C)ᵀ over the batch's binary
//    ReLU codes C (modules record them with `recordReluCodes`); K[i][j] = N_A − Hamming(c_i, c_j).
//    K is singular (score −∞) when two inputs share a code, which a net with few ReLUs does for
//    any batch larger than its number of distinct codes.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, checkKnownKeys, configKeys, type Module } from '@weft/core';
import { RELU_CODE_PREFIX } from './codes.js';
import { gradSign } from './gradsign.js';

/** What a proxy scores: a module, a batch, a loss. */
export interface ProxyInput {
  model: Module;
  x: tf.Tensor;
  y: tf.Tensor;
  loss: (out: tf.Tensor, y: tf.Tensor) => tf.Scalar;
  /** Variables scored. Default: the model's trainable parameters. */
  variables?: tf.Variable[];
}

const PROXY_KEYS = configKeys<ProxyInput>({ model: true, x: true, y: true, loss: true, variables: true });

function gradsOf(p: ProxyInput): { vars: tf.Variable[]; grads: tf.Tensor[] } {
  checkKnownKeys('proxy', p, PROXY_KEYS);
  const vars = p.variables ?? p.model.trainableParameters();
  if (vars.length === 0) throw new Error('proxy: the model has no trainable parameters to score');
  const { value, grads } = tf.variableGrads(() => p.loss(p.model.forward(p.x, new ForwardContext({ training: true })), p.y), vars);
  value.dispose();
  return { vars, grads: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
}

async function scalar(t: tf.Tensor): Promise<number> {
  const v = (await t.data())[0]!;
  t.dispose();
  return v;
}

/** grad-norm: Σ over parameter tensors of ‖∇θ L‖₂. */
export async function gradNorm(p: ProxyInput): Promise<number> {
  return scalar(tf.tidy(() => tf.addN(gradsOf(p).grads.map((g) => tf.norm(g)))));
}

/** SNIP: Σ |θ ⊙ ∇θ L|. */
export async function snip(p: ProxyInput): Promise<number> {
  return scalar(
    tf.tidy(() => {
      const { vars, grads } = gradsOf(p);
      return tf.addN(vars.map((v, i) => tf.sum(tf.abs(tf.mul(v, grads[i]!)))));
    }),
  );
}

/** SynFlow as log Σ θ ⊙ ∂R/∂θ (natural log; see the file header for when it is exact). Parameters are restored. */
export async function synflowLog(p: Omit<ProxyInput, 'y' | 'loss'>): Promise<number> {
  checkKnownKeys('synflow', p, PROXY_KEYS);
  const vars = p.variables ?? p.model.trainableParameters();
  if (vars.length === 0) throw new Error('synflow: the model has no trainable parameters to score');
  const saved = vars.map((v) => tf.clone(v));
  const logScales: tf.Tensor[] = [];
  try {
    tf.tidy(() => {
      for (const v of vars) {
        if (v.rank < 2) v.assign(tf.zerosLike(v));
        else {
          const a = tf.abs(v);
          const s = tf.maximum(tf.mean(a), 1e-30);
          logScales.push(tf.keep(tf.log(s)));
          v.assign(tf.div(a, s));
        }
      }
    });
    const t = tf.tidy(() => {
      const ones = tf.onesLike(p.x);
      const weights = vars.filter((v) => v.rank >= 2);
      const { value, grads } = tf.variableGrads(() => tf.sum(p.model.forward(ones, new ForwardContext({ training: false }))) as tf.Scalar, weights);
      value.dispose();
      const score = tf.addN(weights.map((v) => tf.sum(tf.mul(v, grads[v.name] ?? tf.zerosLike(v)))));
      return tf.add(tf.log(score), logScales.length ? tf.addN(logScales) : 0);
    });
    return await scalar(t);
  } finally {
    vars.forEach((v, i) => v.assign(saved[i]!));
    tf.dispose([...saved, ...logScales]);
  }
}

/** log|det M| of a symmetric matrix (row-major n×n) by LU with partial pivoting in float64. */
export function logAbsDet(m: ArrayLike<number>, n: number): number {
  const a = Float64Array.from(m);
  let logdet = 0;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[piv * n + c]!)) piv = r;
    const pv = a[piv * n + c]!;
    if (pv === 0) return -Infinity;
    if (piv !== c) for (let k = 0; k < n; k++) [a[c * n + k], a[piv * n + k]] = [a[piv * n + k]!, a[c * n + k]!];
    logdet += Math.log(Math.abs(pv));
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / pv;
      if (f !== 0) for (let k = c; k < n; k++) a[r * n + k]! -= f * a[c * n + k]!;
    }
  }
  return logdet;
}

/** NASWOT: log|det K| of the batch's ReLU-code kernel (the model must record codes; see codes.ts). */
export async function naswot(p: Pick<ProxyInput, 'model' | 'x'>): Promise<number> {
  checkKnownKeys('naswot', p, PROXY_KEYS);
  const ctx = new ForwardContext({ training: false, collectStats: true });
  try {
    tf.tidy(() => {
      p.model.forward(p.x, ctx);
    });
    const codes = [...ctx.stats].filter(([k, v]) => k.startsWith(RELU_CODE_PREFIX) && v instanceof tf.Tensor).map(([, v]) => v as tf.Tensor);
    if (codes.length === 0) throw new Error(`naswot: ${p.model.constructor.name} recorded no ReLU codes (it has no ReLU that calls recordReluCodes)`);
    const K = tf.tidy(() => {
      const c = tf.concat(codes, 1); // (B, units)
      const nc = tf.sub(1, c);
      return tf.add(tf.matMul(c, c, false, true), tf.matMul(nc, nc, false, true)); // (B, B)
    });
    const data = await K.data();
    const n = K.shape[0]!;
    K.dispose();
    return logAbsDet(data, n);
  } finally {
    ctx.disposeStats();
  }
}

/** Kendall's τ-b between two equally long score lists (ties handled as τ-b). */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`kendallTau: lengths ${a.length} and ${b.length} must be equal`);
  if (a.length < 2) throw new Error(`kendallTau: needs at least 2 pairs, got ${a.length}`);
  for (const [name, v] of [['a', a], ['b', b]] as const) {
    const k = v.findIndex((x) => Number.isNaN(x));
    if (k >= 0) throw new Error(`kendallTau: ${name}[${k}] is NaN; scores must be numbers (±Infinity allowed)`);
  }
  // Compare, not subtract: −∞ − (−∞) is NaN, and equal infinities (NASWOT's singular kernels) are ties.
  const cmp = (x: number, y: number) => (x < y ? -1 : x > y ? 1 : 0);
  let conc = 0;
  let disc = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = cmp(a[i]!, a[j]!);
      const db = cmp(b[i]!, b[j]!);
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) conc++;
      else disc++;
    }
  }
  const denom = Math.sqrt((conc + disc + tiesA) * (conc + disc + tiesB));
  return denom === 0 ? 0 : (conc - disc) / denom;
}

/** The registered proxies by name. */
export const PROXIES = {
  grad_norm: gradNorm,
  snip,
  synflow: (p: ProxyInput) => synflowLog(p),
  naswot: (p: ProxyInput) => naswot(p),
  gradsign: gradSign,
} as const;
