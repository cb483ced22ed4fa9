// Parameter-Efficient Fine-Tuning for Large Models: A Comprehensive Survey (arXiv:2403.14608): the
// per-method cost model (cost.ts) against the built modules, for every registered method and its
// variants (adapter-cases.ts) on two Linear shapes. References: trainable parameters — the module's
// parameter ledger; FLOPs — every kernel the adapted forward runs, counted by flop-count.ts, minus
// the bare layer's (per token: the difference between 4 and 8 tokens; per call: what is left at 4
// tokens); mergeability — a merged layer gives the unmerged output (to 1e-4) at exactly the bare
// layer's FLOPs, and a method that says it cannot merge refuses to. All counts must match exactly.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Linear, Module, Rng, parameterLedger } from '@weft/core';
import { ADAM_BYTES_PER_PARAMETER, adapterCost, adapterMethodNames, injectAdapter, mergeAdapters, setActiveAdapters } from '../src/index.js';
import { adapterCases, perturbAdapters } from './adapter-cases.js';
import { countFlops } from './flop-count.js';

class One extends Module {
  fc: Linear;
  constructor(i: number, o: number, bias: boolean) {
    super();
    this.fc = this.addModule('fc', new Linear({ inFeatures: i, outFeatures: o, bias }, new Rng(1)));
  }
  forward(x: tf.Tensor, ctx: ForwardContext) {
    return this.fc.forward(x, ctx);
  }
}

const inference = () => new ForwardContext({ training: false });
const input = (n: number, i: number) => tf.tensor2d(new Rng(5).normalArray(n * i), [n, i]);

describe('adapter cost model (PEFT survey: parameters, FLOPs, mergeability, memory)', () => {
  const shapes: Array<[number, number, boolean]> = [[8, 12, true], [12, 8, false]];
  for (const c of adapterCases()) {
    it(`${c.label}: the model's counts equal the ledger and the counted kernels`, async () => {
      for (const [i, o, bias] of shapes) {
        const where = `${c.label} ${i}→${o}`;
        const m = new One(i, o, bias);
        const bare = async (n: number) => (await countFlops(() => m.forward(input(n, i), inference()))).flops;
        const base4 = await bare(4);
        const base8 = await bare(8);
        injectAdapter(m, 'a', { ...c.config, targets: ['fc'] } as never, { rng: new Rng(2) });
        setActiveAdapters(m, ['a']);
        perturbAdapters(m, 3);
        const cost = adapterCost(c.config as never, { inFeatures: i, outFeatures: o, bias }, 'fc');
        expect(cost.trainable, where).toBe(parameterLedger(m).totals.trainable);
        expect(cost.trainBytes, where).toBe(ADAM_BYTES_PER_PARAMETER * cost.trainable);
        const f4 = (await countFlops(() => m.forward(input(4, i), inference()))).flops - base4;
        const f8 = (await countFlops(() => m.forward(input(8, i), inference()))).flops - base8;
        expect(cost.flopsPerToken, where).toBe((f8 - f4) / 4);
        expect(cost.flopsPerCall, where).toBe(f4 - 4 * cost.flopsPerToken);
        const y = tf.tidy(() => m.forward(input(4, i), inference()));
        if (cost.mergeable) {
          mergeAdapters(m);
          expect(cost.mergedFlopsPerToken).toBe(0);
          expect((await countFlops(() => m.forward(input(4, i), inference()))).flops, where).toBe(base4);
          const merged = tf.tidy(() => m.forward(input(4, i), inference()));
          expect(tf.max(tf.abs(tf.sub(merged, y))).arraySync() as number, where).toBeLessThan(1e-4);
          merged.dispose();
        } else {
          expect(() => mergeAdapters(m), where).toThrow();
          expect(cost.mergedFlopsPerToken, where).toBe(cost.flopsPerToken);
        }
        y.dispose();
        m.dispose();
      }
    });
  }

  it('costs every registered method, with its published closed forms where the survey gives one', () => {
    const shape = { inFeatures: 4096, outFeatures: 4096 };
    for (const name of adapterMethodNames()) expect(adapterCost({ method: name }, shape).trainable, name).toBeGreaterThan(0);
    // LoRA: r(d + k) parameters, 2r(d + k) + … extra FLOPs a token unmerged, none merged.
    const lora = adapterCost({ method: 'lora', r: 8 }, shape);
    expect(lora.trainable).toBe(8 * 8192);
    expect(lora.flopsPerToken).toBe(2 * 8 * 8192 + 8 + 4096);
    expect(lora.mergedFlopsPerToken).toBe(0);
    // (IA)³: one vector; an input-gated mixture (MoKA) costs the same unmerged as merged.
    expect(adapterCost({ method: 'ia3' }, shape).trainable).toBe(4096);
    const moka = adapterCost({ method: 'moka' }, shape);
    expect(moka.mergeable).toBe(false);
    expect(moka.mergedFlopsPerToken).toBe(moka.flopsPerToken);
  });

  it('refuses a bad shape or option, naming it', () => {
    expect(() => adapterCost({ method: 'lora' }, { inFeatures: 0, outFeatures: 4 })).toThrow('adapterCost: shape.inFeatures');
    expect(() => adapterCost({ method: 'lora' }, null as never)).toThrow('adapterCost: shape=null must be { inFeatures, outFeatures, bias? }');
    expect(() => adapterCost({ method: 'lora' }, { inFeatures: 4, outFeatures: 4, bais: false } as never)).toThrow("adapterCost: shape: unknown option 'bais'; did you mean 'bias'?");
    expect(() => adapterCost({ method: 'lora', alfa: 2 } as never, { inFeatures: 4, outFeatures: 4 })).toThrow("did you mean 'alpha'");
    expect(() => adapterCost({ method: 'nope' }, { inFeatures: 4, outFeatures: 4 })).toThrow('method="nope" is not registered');
  });
});
