// The conformance matrix: every row (test/conformance/rows/*.ts) passes the same checks on every
// backend of the environment — forward, gradients to every trainable parameter, no tensor growth
// while training, state-dict round trip, ledger invariants, and parity with the cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it, describe } from 'vitest';
import { ForwardContext, Rng, initBackend, loadModule, makeOptimizer, parameterLedger, saveModule, train } from '@weft/core';
import { describeBackends, type BackendName } from '@weft/core/testing';
import { conformanceRows, type ConformanceRow } from './conformance/matrix.js';
import './conformance/rows/core.js';
import './conformance/rows/moe.js';
import './conformance/rows/adapters.js';
import './conformance/rows/sharing.js';
import './conformance/rows/nas.js';

const SEED = 11;
// Few steps: a leak shows on every step, and WebGPU on SwiftShader takes seconds per step.
const LEAK_STEPS = 3;

function build(row: ConformanceRow<any>, seed = SEED) {
  const module = row.make(new Rng(seed));
  module.eval();
  const batch = row.input(new Rng(seed + 1000));
  return { module, batch };
}

const lossOf = (row: ConformanceRow<any>, out: tf.Tensor, y: tf.Tensor | undefined) =>
  row.loss ? row.loss(out, y) : (tf.mean(tf.square(out)) as tf.Scalar);

async function outputs(row: ConformanceRow<any>, seed = SEED): Promise<{ values: Float32Array; shape: number[] }> {
  const { module, batch } = build(row, seed);
  const out = tf.tidy(() => module.call(batch.x));
  const values = (await out.data()) as Float32Array;
  const shape = out.shape;
  tf.dispose([out, batch as unknown as tf.TensorContainer]);
  module.dispose();
  return { values, shape };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describeBackends('conformance', (backend: BackendName) => {
  it('has rows', () => expect(conformanceRows().length).toBeGreaterThan(10));
  for (const row of conformanceRows()) {
    describe(row.name, () => {
      it('forward gives a finite output', async () => {
        const { values, shape } = await outputs(row);
        expect(shape.length).toBeGreaterThan(0);
        expect(values.every(Number.isFinite)).toBe(true);
      });

      it('gradients reach every trainable parameter', async () => {
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
      });

      it(`no tensor growth over ${LEAK_STEPS} training steps`, async () => {
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
      });

      it('state dict save/load gives identical outputs', async () => {
        const a = build(row, SEED);
        const b = build(row, SEED + 1);
        const bytes = await saveModule(a.module);
        await loadModule(b.module, bytes);
        const ya = tf.tidy(() => a.module.call(a.batch.x));
        const yb = tf.tidy(() => b.module.call(a.batch.x));
        expect(maxAbsDiff(await ya.data(), await yb.data())).toBe(0);
        tf.dispose([ya, yb, a.batch as unknown as tf.TensorContainer, b.batch as unknown as tf.TensorContainer]);
        a.module.dispose();
        b.module.dispose();
      });

      it('ledger invariants: trainable ≤ stored ≤ effective, active ≤ stored, stored = Σ unique sizes', () => {
        const { module, batch } = build(row);
        const t = parameterLedger(module).totals;
        expect(t.stored).toBe(module.parameters().reduce((s, v) => s + v.size, 0));
        expect(t.stored).toBeLessThanOrEqual(t.effective);
        expect(t.trainable).toBeLessThanOrEqual(t.stored);
        expect(t.active).toBeLessThanOrEqual(t.stored + 1e-9);
        expect(t.bytes).toBeGreaterThanOrEqual(t.stored);
        tf.dispose(batch as unknown as tf.TensorContainer);
        module.dispose();
      });

      if (backend !== 'cpu') {
        it('matches the cpu backend (same seed, same outputs)', async () => {
          const here = await outputs(row);
          await initBackend({ prefer: ['cpu'], fallback: false });
          const ref = await outputs(row);
          await initBackend({ prefer: [backend], fallback: false });
          expect(here.shape).toEqual(ref.shape);
          const scale = Math.max(1, ...Array.from(ref.values, Math.abs));
          expect(maxAbsDiff(here.values, ref.values)).toBeLessThanOrEqual((row.parityTolerance ?? 1e-4) * scale);
        });
      }
    });
  }
});
