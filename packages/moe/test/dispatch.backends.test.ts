// Sparse dispatch against the dense reference (every expert on every token, masked by the same kept
// pairs): outputs and every parameter's gradient to 1e-5, for every router in the registry, dropless
// and with capacity (both drop policies), every expert kind and block sizes, on every backend
// (wasm, cpu; webgpu in Node and in Chromium; webgl). Distributed modules (DNA) too: FFN modules
// dispatched on their tokens and attention modules on their gathered tokens (C < T) = the dense
// masked path, outputs and gradients to 1e-5.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ForwardContext, Rng } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import { DistributedModules, MoE, routerEntry, routerNames, type MoEConfig } from '../src/index.js';

const TOL = 1e-5;
const DIM = 6;

function configFor(router: string): MoEConfig {
  return { dim: DIM, numExperts: 4, topK: routerEntry(router).fixedTopK ?? 2, hidden: 8, router };
}

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

/** Output and gradients (by path) of `cfg` under dispatch 'sparse' and 'dense', same seed, same context seed. */
async function compare(cfg: MoEConfig, training: boolean) {
  return compareLayers((dispatch) => new MoE({ ...cfg, dispatch }, new Rng(9)), training);
}

/** Output and gradients (by path) of the layer `make` builds under dispatch 'sparse' and 'dense', on (2, T, DIM). */
async function compareLayers(make: (dispatch: 'sparse' | 'dense') => MoE | DistributedModules, training: boolean, T = 7) {
  const rng = new Rng(5);
  const x = tf.tensor3d(rng.normalArray(2 * T * DIM), [2, T, DIM]);
  const probe = tf.tensor3d(rng.normalArray(2 * T * DIM), [2, T, DIM]);
  const run = (dispatch: 'sparse' | 'dense') => {
    const m = make(dispatch);
    const vars = m.trainableParameters();
    const paths = new Map(m.namedParameters().map(([p, v]) => [v, p]));
    let y!: tf.Tensor;
    const { grads, value } = tf.variableGrads(() => {
      y = tf.keep(m.forward(x, new ForwardContext({ training, seed: 3 })));
      return tf.sum(tf.mul(y, probe)) as tf.Scalar;
    }, vars);
    const byPath = new Map(Object.entries(grads).map(([name, g]) => [paths.get(vars.find((v) => v.name === name)!)!, g]));
    value.dispose();
    return { m, y, byPath };
  };
  const s = run('sparse');
  const d = run('dense');
  const out = await maxDiff(s.y, d.y);
  let grad = 0;
  expect([...s.byPath.keys()].sort()).toEqual([...d.byPath.keys()].sort());
  for (const [p, g] of s.byPath) grad = Math.max(grad, await maxDiff(g, d.byPath.get(p)!));
  tf.dispose([x, probe, s.y, d.y, ...s.byPath.values(), ...d.byPath.values()]);
  s.m.dispose();
  d.m.dispose();
  return { out, grad };
}

describeBackends('sparse dispatch = dense reference', () => {
  for (const router of routerNames()) {
    for (const mode of ['dropless', 'capacity position', 'capacity probability'] as const) {
      it(`${router}, ${mode}`, async () => {
        const cfg = configFor(router);
        if (mode !== 'dropless') Object.assign(cfg, { capacityFactor: 0.75, dropPolicy: mode.endsWith('position') ? 'position' : 'probability' });
        for (const training of [false, true]) {
          const { out, grad } = await compare(cfg, training);
          expect(out, `output, training=${training}`).toBeLessThan(TOL);
          expect(grad, `gradients, training=${training}`).toBeLessThan(TOL);
        }
      });
    }
  }
  for (const blockSize of [1, 3, 64]) {
    it(`dropless with blockSize ${blockSize}`, async () => {
      const { out, grad } = await compare({ ...configFor('mixtral'), blockSize }, true);
      expect(out).toBeLessThan(TOL);
      expect(grad).toBeLessThan(TOL);
    });
  }
  for (const expert of ['swiglu', 'ia3', 'lora'] as const) {
    it(`${expert} experts (with 2 shared experts, capacity)`, async () => {
      const { out, grad } = await compare({ ...configFor('mixtral'), expert, loraZeroInit: false, sharedExperts: 2, capacityFactor: 1 }, true);
      expect(out).toBeLessThan(TOL);
      expect(grad).toBeLessThan(TOL);
    });
  }
  it('distributed modules (2 attention + 2 FFN modules, 3 hops, attention gathered into C < T slots)', async () => {
    const make = (dispatch: 'sparse' | 'dense') => new DistributedModules({ dim: DIM, attention: 2, ffn: 2, numHeads: 2, ffnHidden: 8, hops: 3, dispatch }, new Rng(9));
    const probe = make('sparse');
    expect(probe.attentionSlots(12)).toBeLessThan(12);
    probe.dispose();
    const { out, grad } = await compareLayers(make, true, 12);
    expect(out).toBeLessThan(TOL);
    expect(grad).toBeLessThan(TOL);
  });
});
