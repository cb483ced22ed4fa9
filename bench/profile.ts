// A training step of a small model profiled kernel by kernel (tf.profile): kernels per step, time
// per kernel name, and GFLOP/s of the matrix products. `pnpm run profile <model>` prints it
// (scripts/profile.mjs); the bench's kernel-count cases use it. The step is Weft's trainer step
// (non-finite guard included, Adam), as on the pages. Kernel times under tf.profile include the
// profiler's own cost per kernel; the step time is measured separately, unprofiled.
import * as tf from '@tensorflow/tfjs-core';
import { Activation, Linear, Rng, Sequential, TinyTransformer, initBackend, makeOptimizer, mse, softmaxCrossEntropy, train, type Module } from '@weft/core';
import { MoE, Regressor } from '@weft/moe';

/** The models `pnpm run profile` knows. */
export const PROFILE_MODELS = ['tinyTransformer', 'mlp', 'moe', 'moePage'] as const;
export type ProfileModel = (typeof PROFILE_MODELS)[number];

/** Sizes of the profiled models. */
export interface ProfileOptions {
  /** tfjs backend. Default: wasm. */
  backend: string;
  /** Profiled steps (after 3 warm-up steps). Default: 20. */
  steps: number;
  /** Width d (tinyTransformer, moe). Default: 64. */
  dim: number;
  /** Sequence length T (tinyTransformer). Default: 32. */
  seq: number;
  /** Sequences per batch (tinyTransformer). Default: 8. */
  batch: number;
  /** Experts E (moe). Default: 64. */
  experts: number;
}

export const PROFILE_DEFAULTS: ProfileOptions = { backend: 'wasm', steps: 20, dim: 64, seq: 32, batch: 8, experts: 64 };

/** Per kernel name: calls, ms and matrix-product FLOPs per step. */
export interface KernelRow {
  name: string;
  calls: number;
  ms: number;
  flops: number;
}

/** What {@link profileStep} measured (all per step). */
export interface StepProfile {
  describe: string;
  kernels: number;
  stepMs: number;
  /** This process's CPU time per step (user + system), unprofiled. */
  stepCpuMs: number;
  kernelMs: number;
  productFlops: number;
  productMs: number;
  rows: KernelRow[];
}

/** Floating-point operations of one matrix-product kernel from its shapes (2·M·K·N per product). */
export function productFlops(name: string, inputShapes: (number[] | null)[], outputShapes: number[][]): number {
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  const [a, b] = inputShapes;
  const out = outputShapes[0];
  if (!a || !b || !out) return 0;
  if (name === 'WeftLinear') return 2 * size(out) * a[a.length - 1]!; // x (…, K)·w (K, N) -> (…, N)
  if (name === 'WeftLinearParamGrad') return 2 * size(a) * b[b.length - 1]!; // dw = xᵀ·dy: x (…, K), dy (…, N); db is a sum, not counted
  // x (B, T, C) and wq, wk, wv (C, N·): forward x·w per projection; backward dw = xᵀ·dy and dx += dy·wᵀ per projection
  const qkv = () => 2 * size(a) * [1, 2, 3].reduce((n, i) => n + inputShapes[i]![1]!, 0);
  if (name === 'WeftQkv') return qkv();
  if (name === 'WeftQkvGrad') return 2 * qkv();
  // q (…, Tq, D), k (…, Tk, D), v (…, Tk, Dv): q·kᵀ and p·v forward; dv, dp, dq, dk backward (the same FLOPs twice)
  const core = () => 2 * (size(a) / a[a.length - 1]!) * b[b.length - 2]! * (a[a.length - 1]! + inputShapes[2]![inputShapes[2]!.length - 1]!);
  if (name === 'WeftAttention') return core();
  if (name === 'WeftAttentionGrad') return 2 * (2 * (size(b) / b[b.length - 1]!) * inputShapes[2]![inputShapes[2]!.length - 2]! * (b[b.length - 1]! + inputShapes[3]![inputShapes[3]!.length - 1]!)); // inputs dO, q, k, v, p
  if (!['BatchMatMul', '_FusedMatMul', 'WeftGroupedMatMul'].includes(name)) return 0;
  if (a.length < 2 || out.length < 2) return 0;
  const m = out[out.length - 2]!;
  const kDim = size(a) / (size(a.slice(0, -2)) * m); // a is (…, M, K) or (…, K, M): its size / (batch·M)
  return 2 * size(out) * kDim;
}

interface Built {
  model: Module<tf.Tensor, tf.Tensor>;
  batch: { x: tf.Tensor; y: tf.Tensor };
  loss: (out: tf.Tensor, b: { x: tf.Tensor; y: tf.Tensor }) => tf.Scalar;
  describe: string;
}

/** The model, its one batch and its loss (tensors on the active backend). */
function build(name: ProfileModel, o: ProfileOptions): Built {
  const rng = new Rng(1);
  if (name === 'mlp') {
    const widths = [64, 256, 256, 10];
    const layers = widths.slice(1).flatMap((w, i): Module<tf.Tensor, tf.Tensor>[] => {
      const l = new Linear({ inFeatures: widths[i]!, outFeatures: w }, rng);
      return i + 2 < widths.length ? [l, new Activation({ activation: 'relu' })] : [l];
    });
    const x = tf.randomNormal([256, 64], 0, 1, 'float32', 2);
    const y = tf.oneHot(tf.randomUniform([256], 0, 10, 'int32', 3), 10);
    return { model: new Sequential(layers), batch: { x, y }, loss: (out, b) => tf.losses.softmaxCrossEntropy(b.y, out) as tf.Scalar, describe: `MLP ${widths.join('-')}, batch 256` };
  }
  if (name === 'tinyTransformer') {
    const vocab = 64;
    const model = new TinyTransformer({ vocabSize: vocab, maxLen: o.seq, dim: o.dim, depth: 2, numHeads: 4 }, rng);
    const x = tf.randomUniform([o.batch, o.seq], 0, vocab, 'int32', 2);
    const y = tf.randomUniform([o.batch, o.seq], 0, vocab, 'int32', 3);
    return { model: model as unknown as Module<tf.Tensor, tf.Tensor>, batch: { x, y }, loss: (out, b) => softmaxCrossEntropy(out, b.y), describe: `TinyTransformer d=${o.dim}, T=${o.seq}, batch ${o.batch}, 2 blocks, 4 heads` };
  }
  if (name === 'moePage') {
    // moe.html at its defaults: Linear 2→16, dropless MoE (E=8, top-2, hidden 16, Mixtral router,
    // Switch balance 0.01, z-loss 0.001) with a residual, Linear 16→1; batch 128, MSE.
    const model = new Regressor(2, 1, 16, (r) => new MoE({ dim: 16, numExperts: 8, topK: 2, hidden: 16, router: 'mixtral', capacityFactor: null, loadBalance: 'switch', loadBalanceWeight: 0.01, zLossWeight: 0.001, name: 'moe' }, r), rng);
    const x = tf.randomNormal([128, 2], 0, 1, 'float32', 2);
    const y = tf.randomNormal([128, 1], 0, 1, 'float32', 3);
    return { model: model as unknown as Module<tf.Tensor, tf.Tensor>, batch: { x, y }, loss: (out, b) => mse(out, b.y), describe: "moe.html's regressor: 2→16, dropless MoE E=8 top-2 hidden 16, →1; batch 128" };
  }
  const tokens = 512;
  const model = new MoE({ dim: o.dim, numExperts: o.experts, topK: 2, hidden: 256, capacityFactor: null }, rng);
  const x = tf.randomNormal([tokens, o.dim], 0, 1, 'float32', 2);
  const y = tf.randomNormal([tokens, o.dim], 0, 1, 'float32', 3);
  return { model: model as unknown as Module<tf.Tensor, tf.Tensor>, batch: { x, y }, loss: (out) => mse(out, y), describe: `dropless MoE E=${o.experts}, top-2, ${tokens} tokens, d=${o.dim}, hidden 256` };
}

/** Profile `steps` trainer steps of model `name` on `options.backend`. */
export async function profileStep(name: ProfileModel, options: Partial<ProfileOptions> = {}): Promise<StepProfile> {
  const o = { ...PROFILE_DEFAULTS, ...options };
  const report = await initBackend({ prefer: [o.backend as 'wasm'], fallback: false });
  if (report.backend !== o.backend) throw new Error(`profile: backend ${o.backend} did not start: ${JSON.stringify(report.reasons)}`);
  const { model, batch, loss, describe } = build(name, o);
  const optimizer = makeOptimizer({ name: 'adam', learningRate: 1e-3 }); // as the pages
  const run = (steps: number) => train({ model, optimizer, steps, batch: () => batch, loss, reportEvery: steps });
  try {
    await run(3); // warm-up: optimizer slots, kernel set-up
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    await run(o.steps);
    const stepMs = (performance.now() - t0) / o.steps;
    const c = process.cpuUsage(c0);
    const stepCpuMs = (c.user + c.system) / 1e3 / o.steps;
    const profile = await tf.profile(() => run(o.steps) as unknown as tf.TensorContainer);
    const byName = new Map<string, KernelRow>();
    let flops = 0;
    let productMs = 0;
    let kernelMs = 0;
    for (const k of profile.kernels) {
      const ms = k.kernelTimeMs as number;
      const f = productFlops(k.name, k.inputShapes as (number[] | null)[], k.outputShapes as number[][]);
      const row = byName.get(k.name) ?? { name: k.name, calls: 0, ms: 0, flops: 0 };
      row.calls++;
      row.ms += ms;
      row.flops += f;
      byName.set(k.name, row);
      flops += f;
      kernelMs += ms;
      if (f > 0) productMs += ms;
    }
    const per = (v: number) => v / o.steps;
    const rows = [...byName.values()].map((r) => ({ ...r, calls: per(r.calls), ms: per(r.ms), flops: per(r.flops) })).sort((a, b) => b.ms - a.ms);
    return { describe, kernels: per(profile.kernels.length), stepMs, stepCpuMs, kernelMs: per(kernelMs), productFlops: per(flops), productMs: per(productMs), rows };
  } finally {
    tf.dispose([batch.x, batch.y]);
    optimizer.dispose();
    model.dispose();
  }
}

/** The profile as a text table (the `top` most expensive kernel names). */
export function formatProfile(name: string, backend: string, p: StepProfile, top = 25): string {
  const gf = (flops: number, ms: number) => (flops > 0 && ms > 0 ? (flops / 1e6 / ms).toFixed(2) : '');
  const lines = [
    `${name}: ${p.describe}; ${backend}`,
    `  kernels per step         ${p.kernels.toFixed(0)}`,
    `  step (unprofiled)        ${p.stepMs.toFixed(2)} ms (${p.stepCpuMs.toFixed(2)} ms of this process's CPU time)`,
    `  kernel time (profiled)   ${p.kernelMs.toFixed(2)} ms per step`,
    `  matrix products          ${(p.productFlops / 1e9).toFixed(4)} GFLOP per step: ${gf(p.productFlops, p.productMs)} GFLOP/s in their kernels, ${gf(p.productFlops, p.stepMs)} GFLOP/s over the step`,
    '',
    `  ${'kernel'.padEnd(28)}${'calls/step'.padStart(11)}${'ms/step'.padStart(10)}${'share'.padStart(8)}${'GFLOP/s'.padStart(10)}`,
    ...p.rows.slice(0, top).map((r) => `  ${r.name.padEnd(28)}${r.calls.toFixed(1).padStart(11)}${r.ms.toFixed(3).padStart(10)}${`${((100 * r.ms) / p.kernelMs).toFixed(1)}%`.padStart(8)}${gf(r.flops, r.ms).padStart(10)}`),
  ];
  if (p.rows.length > top) lines.push(`  … ${p.rows.length - top} more kernel names (--top N)`);
  return lines.join('\n');
}
