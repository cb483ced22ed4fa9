// RoAd (arXiv:2409.00119) beyond the PEFT fixtures (peft.test.ts checks road_1/2/4 against PEFT's
// outputs, merge and files): the forward against a naive dense R·y per pair; mixed-adapter batches
// (each example its own adapter, PEFT's adapter_names) equal running each example alone, for RoAd in
// one element-wise pass and for other methods by the generic path; composition R₂R₁ = R(θ₁+θ₂, α₁α₂).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng } from '@weft/core';
import { AdaptedLayer, RoadLayer, composeRoadAdapters, injectAdapter, setActiveAdapters, withPerExampleAdapters } from '../src/index.js';
import { Tiny, maxDiff } from './adapters-helpers.js';

const road = (m: Tiny, p: 'fc1' | 'fc2', name: string) => (m[p] as unknown as AdaptedLayer).adapter(name) as RoadLayer;

function model(): Tiny {
  const m = new Tiny(new Rng(1));
  injectAdapter(m, 'r1', { method: 'road', targets: ['fc1', 'fc2'], groupSize: 4, initWeights: false }, { rng: new Rng(2) });
  injectAdapter(m, 'r2', { method: 'road', targets: ['fc1', 'fc2'], groupSize: 4, initWeights: false }, { rng: new Rng(3) });
  injectAdapter(m, 'r4', { method: 'road', targets: ['fc1', 'fc2'], groupSize: 2, variant: 'road_4', initWeights: false }, { rng: new Rng(4) });
  injectAdapter(m, 'lo', { method: 'lora', targets: ['fc1'], r: 2, initWeights: false }, { rng: new Rng(5) });
  return m;
}

describe('RoAd', () => {
  it('forward = the dense rotation-scaling of each (p, p+g/2) pair of the base output (naive loops; road_1 and road_4)', async () => {
    const m = model();
    const x = tf.tensor2d(new Rng(9).normalArray(3 * 8), [3, 8]);
    for (const name of ['r1', 'r4']) {
      setActiveAdapters(m, [name]);
      const a = road(m, 'fc1', name);
      const [f, s] = a.columns().map((t) => t.arraySync() as number[]);
      const base = (m.fc1 as unknown as AdaptedLayer).base;
      const yb = (await tf.add(tf.matMul(x, base.weight), base.bias!).array()) as number[][];
      const g = a.options.groupSize;
      const want = yb.map((row) => row.map((_, j) => {
        const first = j % g < g / 2, q = first ? j + g / 2 : j - g / 2;
        return first ? f![j]! * row[j]! - s![j]! * row[q]! : f![j]! * row[j]! + s![j]! * row[q]!;
      }));
      expect(await maxDiff(m.fc1.forward(x, new ForwardContext()), want)).toBeLessThan(1e-5);
    }
    m.dispose();
  });

  it('a batch whose every example uses a different adapter (RoAd, LoRA, none) equals each example run alone', async () => {
    const m = model();
    const x = tf.tensor2d(new Rng(10).normalArray(6 * 8), [6, 8]);
    const names = ['r1', 'r2', '__base__', 'r4', 'lo', 'r1'];
    const mixed = await withPerExampleAdapters(m, names, () => m.forward(x, new ForwardContext())).array() as number[][];
    for (const [i, n] of names.entries()) {
      setActiveAdapters(m, n === '__base__' ? [] : [n]);
      const alone = (await m.forward(tf.slice(x, [i, 0], [1, 8]), new ForwardContext()).array()) as number[][];
      expect(await maxDiff(tf.tensor(mixed[i]!), alone[0]!), `example ${i} (${n})`).toBeLessThan(1e-5);
    }
    // (B, T, in) inputs: every position of an example uses its adapter.
    const x3 = tf.reshape(x, [3, 2, 8]);
    const mixed3 = withPerExampleAdapters(m, ['r2', '__base__', 'r1'], () => m.forward(x3, new ForwardContext()));
    setActiveAdapters(m, ['r2']);
    expect(await maxDiff(tf.slice(mixed3, [0, 0, 0], [1, 2, 4]), m.forward(tf.slice(x3, [0, 0, 0], [1, 2, 8]), new ForwardContext()))).toBeLessThan(1e-5);
    expect(() => withPerExampleAdapters(m, ['r1', 'zz'], () => 0)).toThrow(/no adapter "zz"/);
    expect(() => withPerExampleAdapters(m, ['r1'], () => m.forward(x, new ForwardContext()))).toThrow(/1 per-example adapter names for a batch of 6/);
    expect((m.fc1 as unknown as AdaptedLayer).perExample).toBeNull(); // reset after a throw too
    m.dispose();
  });

  it('RoAd mixed batches are element-wise: one (f, s) gather, no per-adapter pass (counted through columns())', () => {
    const m = model();
    const x = tf.tensor2d(new Rng(11).normalArray(4 * 8), [4, 8]);
    let transforms = 0;
    for (const n of ['r1', 'r2']) for (const p of ['fc1', 'fc2'] as const) {
      const a = road(m, p, n);
      const orig = a.transformOutput.bind(a);
      a.transformOutput = (...args) => (transforms++, orig(...args));
    }
    withPerExampleAdapters(m, ['r1', 'r2', 'r2', 'r1'], () => m.forward(x, new ForwardContext()));
    expect(transforms).toBe(0); // the generic path would run transformOutput once per adapter and layer (4)
    m.dispose();
  });

  it('composition: r2 after r1 equals one adapter with θ₁+θ₂ and α₁α₂; road_4 and other methods are refused', async () => {
    const m = model();
    const x = tf.tensor2d(new Rng(12).normalArray(5 * 8), [5, 8]);
    expect(composeRoadAdapters(m, ['r1', 'r2'], 'both')).toEqual(['fc1', 'fc2']);
    setActiveAdapters(m, ['r1', 'r2']);
    const stacked = m.forward(x, new ForwardContext());
    setActiveAdapters(m, ['both']);
    expect(await maxDiff(m.forward(x, new ForwardContext()), stacked)).toBeLessThan(1e-5);
    expect(() => composeRoadAdapters(m, ['r1', 'r4'], 'bad')).toThrow(/"road_4" at "fc1" does not compose|differ in variant/);
    expect(() => composeRoadAdapters(m, ['r1', 'lo'], 'bad')).toThrow(/"lo" at "fc1" is lora, not RoAd/);
    expect(() => composeRoadAdapters(m, ['r4'], 'bad')).toThrow(/"road_4" at "fc1" does not compose/);
    m.dispose();
  });

  it('refuses a group size that does not divide the outputs, or is odd', () => {
    const m = new Tiny(new Rng(1));
    expect(() => injectAdapter(m, 'r', { method: 'road', targets: ['fc2'], groupSize: 8 })).toThrow(/groupSize=8 must divide out=4 of "fc2"/);
    expect(() => injectAdapter(m, 'r', { method: 'road', targets: ['fc2'], groupSize: 3 })).toThrow(/groupSize=3 must be even/);
    expect(() => injectAdapter(m, 'r', { method: 'road', targets: ['fc2'], variant: 'road_3' as never })).toThrow(/variant="road_3" must be one of "road_1", "road_2", "road_4"/);
    m.dispose();
  });
});
