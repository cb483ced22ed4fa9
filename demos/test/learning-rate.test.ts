// setLearningRate: a new rate takes effect from the next update for every optimiser the pages
// build. Reference: the same optimiser kept at the old rate; with the same state (moments and
// accumulators do not depend on the rate), the update scales with the rate, so after the switch
// the update is new/old times the reference's (to 1e-4 relative, float32).
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { OPTIMIZERS, makeOptimizer, type OptimizerConfig } from '@weft/core';
import { setLearningRate } from '../src/jobs/learning-rate.js';

/** Two updates of w on a fixed gradient; the rate switches to `second` before the second one. */
function updates(name: OptimizerConfig['name'], first: number, second: number | null): [number, number] {
  const opt = makeOptimizer({ name, learningRate: first });
  const w = tf.variable(tf.tensor1d([1, -2, 3]));
  const g = tf.tensor1d([0.5, -1, 2]); // d/dw of sum(g * w)
  const step = () => {
    const before = w.dataSync()[2]!;
    opt.applyGradients({ [w.name]: g });
    return w.dataSync()[2]! - before;
  };
  const d1 = step();
  if (second !== null) setLearningRate(opt, second);
  const d2 = step();
  opt.dispose();
  tf.dispose([w, g]);
  return [d1, d2];
}

describe('setLearningRate', () => {
  for (const name of OPTIMIZERS) {
    it(`${name}: the next update uses the new rate`, () => {
      const [a1, a2] = updates(name, 0.1, 0.01);
      const [r1, r2] = updates(name, 0.1, null);
      expect(a1).toBeCloseTo(r1, 7);
      expect(Math.abs(r2)).toBeGreaterThan(1e-4);
      expect(a2 / r2).toBeCloseTo(0.1, 4);
    });
  }

  it('refuses a rate that is not a finite number > 0', () => {
    const opt = makeOptimizer({ name: 'adam', learningRate: 0.1 });
    expect(() => setLearningRate(opt, 0)).toThrow(/lr=0 must be a finite number > 0/);
    expect(() => setLearningRate(opt, Number.NaN)).toThrow(/lr=NaN/);
    opt.dispose();
  });
});
