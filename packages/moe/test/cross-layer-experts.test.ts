// Megrez2 (arXiv:2507.17728) cross-layer expert sharing: banks of routed experts reused by adjacent
// layers with per-layer routers. Checked against per-layer copies of the bank (the same outputs;
// the bank's gradient is the sum of the copies'), the ledger's stored/effective/active counts, the
// transformer builder, and a seeded experiment on the paper's claim (most of the capacity kept with
// a fraction of the stored parameters).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { LayerNorm, Linear, Module, ModuleList, Rng, makeOptimizer, parameterLedger, softmaxCrossEntropy, split, spirals, toTensors, accuracy, train, type ForwardContext } from '@weft/core';
import { MoE, crossLayerMoE, megrez2Transformer } from '../src/index.js';

/** Seeded experiments on a paper's claim run with WEFT_LONG_EXPERIMENTS=1 (minutes each; the suite has a 25-minute budget). */
const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';

const floats = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
const MOE = { dim: 8, numExperts: 6, topK: 2, hidden: 12, router: 'mixtral', loadBalance: 'none' as const, zLossWeight: 0 };
const sizeOf = (m: Module<any, any>) => m.parameters().reduce((s, v) => s + v.size, 0);

/** x -> x + layer_i(x) for each layer in turn. */
function stack(layers: MoE[], x: tf.Tensor): tf.Tensor {
  let h = x;
  for (const l of layers) h = tf.add(h, l.call(h));
  return h;
}

describe('Megrez2: cross-layer expert banks with per-layer routers', () => {
  it('the default plan gives one bank to each 3 adjacent layers; routers are per layer', () => {
    const layers = crossLayerMoE({ moe: MOE, depth: 6 }, new Rng(1));
    expect(layers.map((l) => layers.findIndex((o) => o.experts === l.experts))).toEqual([0, 0, 0, 3, 3, 3]);
    expect(new Set(layers.map((l) => l.router)).size).toBe(6);
    expect(layers.map((l) => l.cfg.name)).toEqual(['moe.0', 'moe.1', 'moe.2', 'moe.3', 'moe.4', 'moe.5']);
    layers.forEach((l) => l.dispose());
  });

  it('equals per-layer copies of the banks; a bank\'s gradient is the sum of its copies\' (tolerance 1e-5)', async () => {
    const rng = new Rng(2);
    const shared = crossLayerMoE({ moe: MOE, depth: 4, plan: { name: 'block-repeat', repeat: 2 } }, rng);
    const copies = crossLayerMoE({ moe: MOE, depth: 4, plan: 'none' }, new Rng(3));
    copies.forEach((c, i) => {
      const from = new Map(shared[i]!.namedParameters());
      for (const [path, v] of c.namedParameters()) v.assign(from.get(path)!);
    });
    const x = floats(rng, [10, 8]);
    const d = await tf.abs(tf.sub(stack(shared, x), stack(copies, x))).max().data();
    expect(d[0]).toBeLessThan(1e-5);
    const loss = (ls: MoE[]) => () => tf.sum(tf.square(stack(ls, x))) as tf.Scalar;
    const bank = shared[0]!.experts.parameters();
    const gS = tf.variableGrads(loss(shared), bank).grads;
    const cp = [copies[0]!.experts.parameters(), copies[1]!.experts.parameters()];
    const gC = tf.variableGrads(loss(copies), cp.flat()).grads;
    for (let p = 0; p < bank.length; p++) {
      const sum = tf.add(gC[cp[0]![p]!.name]!, gC[cp[1]![p]!.name]!);
      const diff = (await tf.abs(tf.sub(gS[bank[p]!.name]!, sum)).max().data())[0]!;
      expect(diff, bank[p]!.name).toBeLessThan(1e-5);
    }
    [...shared, ...copies].forEach((l) => l.dispose());
  });

  it('ledger: banks stored once, used by each layer; a token reaches at most (layers on the bank)·k/E of a bank', () => {
    const model = new ModuleList(crossLayerMoE({ moe: MOE, depth: 6 }, new Rng(4)));
    const t = parameterLedger(model).totals;
    const bank = sizeOf(model.at(0).experts);
    const router = 8 * 6;
    expect(bank).toBe(6 * (8 * 12 + 12 + 12 * 8 + 8));
    expect(t.stored).toBe(6 * router + 2 * bank);
    expect(t.effective).toBe(6 * router + 6 * bank);
    expect(t.active).toBeCloseTo(6 * router + 2 * bank * Math.min(1, (3 * 2) / 6), 6);
    const k1 = new ModuleList(crossLayerMoE({ moe: { ...MOE, topK: 1 }, depth: 6 }, new Rng(4)));
    expect(parameterLedger(k1).totals.active).toBeCloseTo(6 * router + 2 * bank * (3 / 6), 6); // 3 layers × k/E = 1/2 of each bank
    model.dispose();
    k1.dispose();
  });

  it('megrez2Transformer: per-block attention, shared banks; trains without growing the tensor count', async () => {
    const m = megrez2Transformer({ vocabSize: 7, maxLen: 6, dim: 8, depth: 3, numHeads: 2, moe: { numExperts: 4, topK: 1, hidden: 8 }, expertPlan: { name: 'block-repeat', repeat: 3 } }, new Rng(5));
    const ffns = m.blocks.items.map((b) => (b as unknown as { ffn: MoE }).ffn);
    expect(new Set(ffns.map((f) => f.experts)).size).toBe(1);
    const x = tf.tensor2d([[0, 1, 2, 3, 4, 5]], [1, 6], 'int32');
    const opt = makeOptimizer({ name: 'adam', learningRate: 1e-2 });
    let counts: number[] = [];
    await train({
      model: m, optimizer: opt, steps: 6, reportEvery: 1, batch: () => ({ x, y: x }),
      loss: (out, b) => softmaxCrossEntropy(out, b.y),
      onProgress: () => { counts.push(tf.memory().numTensors); },
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    opt.dispose();
    m.dispose();
  });

  it('refuses typos and bad depths', () => {
    expect(() => crossLayerMoE({ moe: MOE, depht: 3 } as never)).toThrow(/did you mean 'depth'/);
    expect(() => crossLayerMoE({ moe: MOE, depth: 4 })).toThrow(/repeat=3 must divide the number of slots \(depth=4\)/);
    expect(() => crossLayerMoE({ moe: { ...MOE, topk: 2 } as never, depth: 3 })).toThrow(/crossLayerMoE.moe: unknown option 'topk'; did you mean 'topK'/);
  });
});

/** A residual stack of MoE layers on 2-D points: Linear in, L × (x + MoE(LN(x))), Linear head. */
class MoEStack extends Module {
  readonly inp: Linear;
  readonly norms: ModuleList<LayerNorm>;
  readonly layers: ModuleList<MoE>;
  readonly head: Linear;
  constructor(layers: MoE[], dim: number, rng: Rng) {
    super();
    this.inp = this.addModule('inp', new Linear({ inFeatures: 2, outFeatures: dim }, rng));
    this.norms = this.addModule('norms', new ModuleList(layers.map(() => new LayerNorm({ dim }))));
    this.layers = this.addModule('layers', new ModuleList(layers));
    this.head = this.addModule('head', new Linear({ inFeatures: dim, outFeatures: 3 }, rng));
  }
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    let h = this.inp.forward(x, ctx);
    this.layers.items.forEach((l, i) => { h = tf.add(h, l.forward(this.norms.at(i).forward(h, ctx), ctx)); });
    return this.head.forward(h, ctx);
  }
}

describe('experiment (Megrez2): banks shared by 3 adjacent layers vs a bank per layer', () => {
  it.runIf(LONG_EXPERIMENTS)('reports spirals accuracy over 3 seeds: per-layer banks, Megrez2, per-layer banks with E/3 experts (Megrez2\'s stored size)', { timeout: 1_800_000 }, async () => {
    const SEEDS = [1, 2, 3];
    const STEPS = 250;
    const ds = spirals({ n: 1200, arms: 3, turns: 1.5, noise: 0.04 }, 11);
    const [a, b] = split(ds, [0.8, 0.2], 11);
    const tr = toTensors(a!);
    const te = toTensors(b!);
    const moe = { dim: 16, numExperts: 6, topK: 2, hidden: 16, router: 'mixtral' };
    const variants = {
      perLayer: (r: Rng) => crossLayerMoE({ moe, depth: 6, plan: 'none' }, r),
      megrez2: (r: Rng) => crossLayerMoE({ moe, depth: 6 }, r),
      perLayerSmall: (r: Rng) => crossLayerMoE({ moe: { ...moe, numExperts: 2 }, depth: 6, plan: 'none' }, r),
    };
    const acc: Record<string, number[]> = {};
    const ledger: Record<string, { stored: number; active: number }> = {};
    for (const seed of SEEDS) {
      for (const [name, make] of Object.entries(variants)) {
        const rng = new Rng(seed);
        const m = new MoEStack(make(rng), 16, rng);
        const t = parameterLedger(m).totals;
        ledger[name] = { stored: t.stored, active: Math.round(t.active) };
        const brng = new Rng(seed + 100);
        const n = tr.x.shape[0]!;
        const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
        await train({
          model: m, optimizer: opt, steps: STEPS, reportEvery: STEPS,
          batch: () => {
            const idx = tf.tensor1d(Int32Array.from({ length: 64 }, () => brng.int(n)), 'int32'); // (B,)
            return { x: tf.gather(tr.x, idx), y: tf.gather(tr.y, idx) };
          },
          loss: (out, bt) => softmaxCrossEntropy(out, bt.y),
        });
        opt.dispose();
        m.eval();
        const av = tf.tidy(() => accuracy(m.call(te.x), te.y));
        (acc[name] ??= []).push((await av.data())[0]!);
        console.log(`Megrez2 experiment: seed ${seed} ${name} ${(100 * acc[name]!.at(-1)!).toFixed(1)}%`);
        av.dispose();
        m.dispose();
      }
    }
    const fmt = (xs: number[]) => {
      const mu = xs.reduce((s, v) => s + v, 0) / xs.length;
      return `${(100 * mu).toFixed(1)} ± ${((100 * (Math.max(...xs) - Math.min(...xs))) / 2).toFixed(1)}%`;
    };
    console.log(
      `Megrez2 experiment (3-arm spirals, 6 MoE layers, E=6 k=2 unless noted, ${STEPS} Adam steps, seeds ${SEEDS}): accuracy mean ± half-range\n` +
        Object.keys(acc).map((k) => `  ${k.padEnd(13)} stored ${ledger[k]!.stored}, active ${ledger[k]!.active}: ${fmt(acc[k]!)}`).join('\n'),
    );
    expect(ledger.megrez2!.stored).toBeLessThan(ledger.perLayer!.stored / 2);
    // E/3 experts per layer store what Megrez2's banks store; only the routers differ (6 layers × dim × (6 − 2) logits).
    expect(ledger.megrez2!.stored - ledger.perLayerSmall!.stored).toBe(6 * 16 * (6 - 2));
    tf.dispose([tr.x, tr.y, te.x, te.y]);
  });
});
