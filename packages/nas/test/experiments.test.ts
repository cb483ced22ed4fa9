// The issue's experiments, seeded, on wasm, each well under a minute. Numbers are printed (and
// quoted in the issue's closing note); assertions check what the experiments establish.
//  1. Planted architecture, DARTS: a teacher cell of one node from the vector space with the
//     candidates relu, tanh, sin_pi and cos_pi (and none). Behind a Linear→BN preprocessing each
//     op sees a unit-variance input it cannot rescale, and there their shapes differ (relu's even
//     part |z|/2, tanh's saturation, the periodic ops' period of 2). The head sees every channel
//     (numOutputs = 8 channels), so the data pin the ops. DARTS (first order) searches the same
//     space; rate = teacher edges whose strongest non-none op is the teacher's (chance 1/4), by
//     α-argmax and by perturbation-based selection on the same supernet. Then the found genotype
//     and two random genotypes are retrained from scratch and compared on validation MSE.
//     Measured offline (α-argmax, this search): with relu and tanh and a third op, in this
//     one-node cell over seeds 1–12: cos_pi 0.96, sin_pi 0.96, abs 0.92 (chance 1/3); all four
//     0.92. In a two-node cell (the second node also fed by the first node's unnormalised sum)
//     every set of three fell to 0.43–0.72 over seeds 1–8 or 1–10 (cos_pi 0.72, sin_pi 0.63,
//     sin(x) 0.56, abs 0.53, x² 0.50, exp(−x²) 0.43; all four 0.63 at chance 1/4), the first
//     node's edges included (0.75 with cos_pi): the search co-adapts them to the second node.
//     skip_connect and sigmoid stay out (measured in the two-node cell with relu and tanh: 0.46–0.50
//     at chance 1/3, sigmoid never ranked first): skip is absorbed by the linear layers around it,
//     and sigmoid(z) = ½ + ½·tanh(z/2) differs from a + b·z + c·tanh(z) only at fifth order.
//  2. Planted architecture, TangleNAS: a teacher subnet of an entangled MLP whose layers choose
//     their activation (relu or tanh, sharing the layer's weight: the choice is not nested, unlike
//     widths and depths, where a larger subnet imitates a smaller one); rate = matching
//     activations (chance 1/2).
//  3. Zero-cost proxies vs trained accuracy (Kendall τ) on a sample of entangled CNN subnets.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, accuracy, makeOptimizer, mse, softmaxCrossEntropy, shapes, toTensors, train, type Module } from '@weft/core';
import {
  DiscreteNetwork, SubnetNetwork, createCellSearch, createEntangledSearch, gradNorm, kendallTau, naswot, opRecovery, plantedCellTask,
  perturbationOps, plantedSubnetTask, type Genotype, randomGenotype, randomSubnet, resolveEntangledSpace, resolveSpace, runSearch, snip, subnetRecovery, synflowLog, toDartsString,
} from '../src/index.js';

const split = (t: { x: tf.Tensor; y: tf.Tensor }, n: number) => {
  const F = t.x.shape[1]!;
  const O = t.y.shape[1]!;
  return {
    train: { x: tf.slice(t.x, [0, 0], [n, F]), y: tf.slice(t.y, [0, 0], [n, O]) },
    val: { x: tf.slice(t.x, [n, 0], [t.x.shape[0]! - n, F]), y: tf.slice(t.y, [n, 0], [t.x.shape[0]! - n, O]) },
  };
};

/** Train `model` on `tr` for `steps` (Adam 0.01, batch 64, seeded) and return the validation loss. */
async function fit(model: Module, tr: { x: tf.Tensor; y: tf.Tensor }, va: { x: tf.Tensor; y: tf.Tensor }, steps: number, seed: number, loss = mse): Promise<number> {
  const rng = new Rng(seed);
  const n = tr.x.shape[0]!;
  const idx = Array.from({ length: steps }, () => Int32Array.from({ length: 64 }, () => rng.int(n)));
  const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
  await train({ model, optimizer: opt, steps, reportEvery: steps, loss: (o, b) => loss(o, b.y), batch: (i) => {
    const t = tf.tensor1d(idx[i]!, 'int32');
    return { x: tf.gather(tr.x, t), y: tf.gather(tr.y, t) };
  } });
  opt.dispose();
  const l = tf.tidy(() => loss(model.forward(va.x, new ForwardContext()), va.y));
  const v = (await l.data())[0]!;
  l.dispose();
  return v;
}

describe('experiments', () => {
  // A seeded experiment on the paper's claim: runs with WEFT_LONG_EXPERIMENTS=1 (npm test's 25-minute budget).
  it.runIf(process.env.WEFT_LONG_EXPERIMENTS === '1')('planted cell: DARTS recovers the teacher op on most edges among 4 ops (chance 0.25); the retrained genotype beats random ones on average', async () => {
    const space = resolveSpace({ space: 'vector', steps: 1, multiplier: 1, channels: 8, inChannels: 8, numOutputs: 8, ops: ['none', 'relu', 'tanh', 'sin_pi', 'cos_pi'] });
    const seeds = [1, 2, 3, 4];
    const rates: number[] = [];
    const pert: number[] = [];
    const found: number[] = [];
    const random: number[] = [];
    const t0 = performance.now();
    for (const seed of seeds) {
      const task = plantedCellTask(space, seed, { n: 4096 });
      const { train: tr, val: va } = split(task, 2048);
      const { net, searcher } = createCellSearch('darts', space, mse, { archOptimizer: { name: 'adam', learningRate: 0.03, beta1: 0.5 }, weightOptimizer: { name: 'adam', learningRate: 0.02 } }, seed + 100);
      const r = await runSearch({ searcher, train: tr, val: va, steps: 1000, batchSize: 64, reportEvery: 500, seed });
      rates.push(opRecovery(task.teacher, await net.edgeWeights(), space));
      // Perturbation-based op selection on the same supernet, as one-hot edge rows.
      const picks = await perturbationOps(net, va, mse, { metric: 'loss', seed });
      net.overrides.clear();
      pert.push(opRecovery(task.teacher, { normal: picks.normal.map((o) => space.ops.map((_, i) => (i === o ? 1 : 0))), reduce: [] }, space));
      // Best of 3 initialisations: a single run of a genotype with sin_pi/cos_pi often stops in a
      // local minimum (with one init of 400 steps, the teacher's own genotype retrained to 0.65 on seed 6 and a wrong one to 0.22).
      const retrain = async (g: Genotype) => {
        let best = Infinity;
        for (const init of [0, 1, 2]) best = Math.min(best, await fit(new DiscreteNetwork(g, space, new Rng(seed + 200 + 1000 * init)), tr, va, 300, seed + init));
        return best;
      };
      found.push(await retrain(r.result));
      const rand: number[] = [];
      const randGenes = [0, 1].map((k) => randomGenotype(space, new Rng(seed + 300 + k)));
      for (const g of randGenes) rand.push(await retrain(g));
      random.push((rand[0]! + rand[1]!) / 2);
      console.log(`[nas planted DARTS] seed ${seed}: recovery ${rates.at(-1)!.toFixed(2)} (perturbation ${pert.at(-1)!.toFixed(2)}); teacher ${toDartsString(task.teacher)}; found ${toDartsString(r.result)}; retrained val MSE found ${found.at(-1)!.toFixed(4)} vs random ${rand.map((v, k) => `${v.toFixed(4)} ${JSON.stringify(randGenes[k]!.normal)}`).join(', ')}`);
      searcher.dispose();
      net.dispose();
      tf.dispose([task.x, task.y, tr, va]);
    }
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    console.log(`[nas planted DARTS] mean recovery α-argmax ${mean(rates).toFixed(3)}, perturbation ${mean(pert).toFixed(3)} (chance 0.25) over seeds ${seeds}; retrained val MSE found ${mean(found).toFixed(4)} vs random ${mean(random).toFixed(4)}; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // Most teacher edges, three times the 0.25 of a random pick: ≥ 6 of the 8 edges (measured 7 of 8,
    // 0.875; 0.917 over seeds 1–12). Retrained, found beats or ties the random genotypes on each of
    // seeds 1–4 (0.450 vs 0.618); over seeds 5–10 only on average (0.284 vs 0.335): 300 steps do not
    // bring sin_pi/cos_pi genotypes near zero loss, so the teacher's own genotype can lose to a wrong one.
    expect(mean(rates)).toBeGreaterThanOrEqual(0.75);
    expect(mean(found)).toBeLessThan(mean(random));
  });

  // A seeded experiment on the paper's claim: runs with WEFT_LONG_EXPERIMENTS=1 (npm test's 25-minute budget).
  it.runIf(process.env.WEFT_LONG_EXPERIMENTS === '1')('planted subnet: TangleNAS recovers the teacher\'s per-layer activation on most layers (chance 0.5)', async () => {
    const space = resolveEntangledSpace({ kind: 'mlp', inFeatures: 8, numOutputs: 8, depthChoices: [2], widthChoices: [8], activationChoices: ['relu', 'tanh'] });
    const seeds = [1, 2, 3, 4, 5, 6];
    const rates: number[] = [];
    const t0 = performance.now();
    for (const seed of seeds) {
      const task = plantedSubnetTask(space, seed, { n: 2048, gain: 3 });
      const { train: tr, val: va } = split(task, 1024);
      // β steps start after 300 weight-only steps (a warm-up, as PC-DARTS and DropNAS do): without it β
      // commits to tanh in the last layer before the weights fit (recovery 0.71 over seeds 1–12, 0.96 with).
      const { net, searcher } = createEntangledSearch('tanglenas', space, mse, { archOptimizer: { name: 'adam', learningRate: 0.02, beta1: 0.5 }, warmupSteps: 300 }, seed + 100);
      const r = await runSearch({ searcher, train: tr, val: va, steps: 1100, batchSize: 64, reportEvery: 550, seed });
      rates.push(subnetRecovery(task.teacher, r.result, space));
      console.log(`[nas planted TangleNAS] seed ${seed}: recovery ${rates.at(-1)!.toFixed(2)}; teacher ${JSON.stringify(task.teacher.activations)}; found ${JSON.stringify(r.result.activations)}; supernet loss ${r.training.history[0]!.loss.toFixed(3)} -> ${r.training.finalLoss.toFixed(3)}`);
      searcher.dispose();
      net.dispose();
      tf.dispose([task.x, task.y, tr, va]);
    }
    const mean = rates.reduce((a, b) => a + b) / rates.length;
    console.log(`[nas planted TangleNAS] mean recovery ${mean.toFixed(3)} (chance 0.5) over seeds ${seeds}; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // Measured 0.92 (11 of 12 layers); 0.96 over seeds 1–12.
    expect(mean).toBeGreaterThanOrEqual(0.75);
  });

  // A seeded experiment on the paper's claim: runs with WEFT_LONG_EXPERIMENTS=1 (npm test's 25-minute budget).
  it.runIf(process.env.WEFT_LONG_EXPERIMENTS === '1')('zero-cost proxies: Kendall τ against trained accuracy on 12 entangled CNN subnets (8×8 shapes)', async () => {
    // Images, as NASWOT's paper: a 2-D toy input gives these small nets so few ReLU-code regions
    // that two inputs of a batch share a code, the kernel is singular and every score is −∞.
    const space = resolveEntangledSpace({ kind: 'cnn', inFeatures: 1, numOutputs: 6, depthChoices: [1, 2, 3], widthChoices: [4, 8], kernelChoices: [1, 3, 5] });
    const data = toTensors(shapes({ n: 768 }, 3));
    const tr = { x: tf.slice(data.x, [0, 0, 0, 0], [512, 8, 8, 1]), y: tf.slice(data.y, [0], [512]) };
    const va = { x: tf.slice(data.x, [512, 0, 0, 0], [256, 8, 8, 1]), y: tf.slice(data.y, [512], [256]) };
    const rng = new Rng(4);
    const scores: Record<string, number[]> = { grad_norm: [], snip: [], synflow: [], naswot: [] };
    const acc: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < 12; i++) {
      const cfg = randomSubnet(space, rng);
      const net = new SubnetNetwork(space, cfg, new Rng(10 + i));
      const b = { model: net, x: tf.slice(tr.x, [0, 0, 0, 0], [64, 8, 8, 1]), y: tf.slice(tr.y, [0], [64]), loss: softmaxCrossEntropy };
      scores.grad_norm!.push(await gradNorm(b));
      scores.snip!.push(await snip(b));
      scores.synflow!.push(await synflowLog(b));
      scores.naswot!.push(await naswot(b));
      tf.dispose([b.x, b.y]);
      await fit(net, tr, va, 150, i, softmaxCrossEntropy);
      const a = tf.tidy(() => accuracy(net.forward(va.x, new ForwardContext()), va.y));
      acc.push((await a.data())[0]!);
      a.dispose();
      net.dispose();
    }
    const taus = Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, kendallTau(v, acc)]));
    console.log(`[nas proxies] NASWOT ${scores.naswot!.map((v) => v.toFixed(1)).join(' ')}; accuracies ${acc.map((a) => a.toFixed(2)).join(' ')}; Kendall τ ${JSON.stringify(Object.fromEntries(Object.entries(taus).map(([k, v]) => [k, +v.toFixed(3)])))}; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    for (const t of Object.values(taus)) expect(t).toBeGreaterThanOrEqual(-1), expect(t).toBeLessThanOrEqual(1);
    // NASWOT ranks these CNNs with their trained accuracy (τ 0.49 here; 0.53 and 0.22 with the
    // subnet samples of Rng(5) and Rng(6)); grad-norm and SNIP rank them against it (here and there).
    expect(taus.naswot).toBeGreaterThan(0);
    expect(Math.max(...Object.values(taus))).toBeGreaterThan(0);
    tf.dispose([data.x, data.y, tr, va]);
  });
});
