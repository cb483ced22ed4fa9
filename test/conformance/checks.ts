// The checks every conformance row passes (test/conformance.backends.test.ts runs them on every
// backend; test/conformance-registry.test.ts runs them on rows a test registers): a finite forward,
// gradients to every trainable parameter, no tensor growth while training, a state-dict round trip,
// the ledger's invariants, and parity with the cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { ForwardContext, Rng, initBackend, loadModule, makeOptimizer, parameterLedger, saveModule, train, type BackendName } from '@weft/core';
import type { ConformanceRow } from './matrix.js';

const SEED = 11;
// Few steps: a leak shows on every step, and WebGPU on SwiftShader takes seconds per step. Two after
// the warm-up step: one plain step and one that reports (statistics collected and read back).
export const LEAK_STEPS = 2;

export function build(row: ConformanceRow<any>, seed = SEED) {
  const module = row.make(new Rng(seed));
  module.eval();
  const batch = row.input(new Rng(seed + 1000));
  return { module, batch };
}

export const lossOf = (row: ConformanceRow<any>, out: tf.Tensor, y: tf.Tensor | undefined) =>
  row.loss ? row.loss(out, y) : (tf.mean(tf.square(out)) as tf.Scalar);

export async function outputs(row: ConformanceRow<any>, seed = SEED): Promise<{ values: Float32Array; shape: number[] }> {
  const { module, batch } = build(row, seed);
  const out = tf.tidy(() => module.call(batch.x));
  const values = (await out.data()) as Float32Array;
  const shape = out.shape;
  tf.dispose([out, batch as unknown as tf.TensorContainer]);
  module.dispose();
  return { values, shape };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The forward pass gives a finite output. */
export async function checkForward(row: ConformanceRow<any>): Promise<void> {
  const { values, shape } = await outputs(row);
  expect(shape.length).toBeGreaterThan(0);
  expect(values.every(Number.isFinite)).toBe(true);
}

/** Every trainable parameter (but the row's exemptions) gets a finite, non-zero gradient. */
export async function checkGradients(row: ConformanceRow<any>): Promise<void> {
  const { module, batch } = build(row);
  const named = module.namedParameters().filter(([, v]) => v.trainable);
  const vars = [...new Set(named.map(([, v]) => v))];
  const { grads, value } = tf.variableGrads(() => lossOf(row, module.forward(batch.x, new ForwardContext()), batch.y), vars);
  const norms: Record<string, number> = {};
  for (const [path, v] of named) {
    const g = grads[v.name];
    norms[path] = g ? (await tf.norm(g).data())[0]! : 0;
  }
  tf.dispose([value, ...Object.values(grads)]);
  const exempt = (p: string) => row.noGradient?.paths.some((q) => p.startsWith(q)) ?? false;
  const missing = Object.entries(norms).filter(([p, n]) => !exempt(p) && !(n > 0 && Number.isFinite(n)));
  expect(missing, `parameters without a finite non-zero gradient`).toEqual([]);
  tf.dispose(batch as unknown as tf.TensorContainer);
  module.dispose();
}

/** No tensor growth over LEAK_STEPS training steps (after one warm-up step that creates the optimizer state). */
export async function checkNoLeak(row: ConformanceRow<any>): Promise<void> {
  const { module, batch } = build(row);
  const optimizer = makeOptimizer({ name: 'adam', learningRate: 1e-3 });
  const opts = {
    model: module,
    optimizer,
    batch: () => batch,
    input: (b: typeof batch) => b.x as tf.Tensor,
    loss: (out: tf.Tensor, b: typeof batch) => lossOf(row, out, b.y),
    reportEvery: LEAK_STEPS,
  };
  await train({ ...opts, steps: 1 });
  const before = tf.memory().numTensors;
  await train({ ...opts, steps: LEAK_STEPS });
  expect(tf.memory().numTensors - before).toBe(0);
  optimizer.dispose();
  tf.dispose(batch as unknown as tf.TensorContainer);
  module.dispose();
}

/** A state dict saved from one build and loaded into another gives identical parameters and outputs. */
export async function checkStateDict(row: ConformanceRow<any>): Promise<void> {
  const a = build(row, SEED);
  const b = build(row, SEED + 1);
  const bytes = await saveModule(a.module);
  await loadModule(b.module, bytes);
  // The parameters are bit for bit the same…
  const pa = a.module.namedParameters();
  const pb = new Map(b.module.namedParameters());
  for (const [path, v] of pa) expect(Array.from(await pb.get(path)!.data()), path).toEqual(Array.from(await v.data()));
  // …and so are the outputs, but for the last bit on WebGL, whose packed and unpacked shader paths
  // may round differently for two modules holding the same weights (seen: 3e-8 on a NAS supernet).
  const ya = tf.tidy(() => a.module.call(a.batch.x));
  const yb = tf.tidy(() => b.module.call(a.batch.x));
  const ra = await ya.data();
  expect(maxAbsDiff(ra, await yb.data())).toBeLessThanOrEqual(tf.getBackend() === 'webgl' ? 1e-6 * Math.max(1, ...Array.from(ra, Math.abs)) : 0);
  tf.dispose([ya, yb, a.batch as unknown as tf.TensorContainer, b.batch as unknown as tf.TensorContainer]);
  a.module.dispose();
  b.module.dispose();
}

/** Ledger invariants: trainable ≤ stored ≤ effective, active ≤ stored, stored = Σ unique sizes. */
export function checkLedger(row: ConformanceRow<any>): void {
  const { module, batch } = build(row);
  const t = parameterLedger(module).totals;
  expect(t.stored).toBe(module.parameters().reduce((s, v) => s + v.size, 0));
  expect(t.stored).toBeLessThanOrEqual(t.effective);
  expect(t.trainable).toBeLessThanOrEqual(t.stored);
  expect(t.active).toBeLessThanOrEqual(t.stored + 1e-9);
  expect(t.bytes).toBeGreaterThanOrEqual(t.stored);
  tf.dispose(batch as unknown as tf.TensorContainer);
  module.dispose();
}

/** The outputs on `backend` match the cpu backend's (same seed). */
export async function checkCpuParity(row: ConformanceRow<any>, backend: BackendName): Promise<void> {
  const here = await outputs(row);
  await initBackend({ prefer: ['cpu'], fallback: false });
  const ref = await outputs(row);
  await initBackend({ prefer: [backend], fallback: false });
  expect(here.shape).toEqual(ref.shape);
  const scale = Math.max(1, ...Array.from(ref.values, Math.abs));
  expect(maxAbsDiff(here.values, ref.values)).toBeLessThanOrEqual((row.parityTolerance ?? 1e-4) * scale);
}
