// Experiment (issue 3): STABLE-RPS at 10× compression trains stably over 5 seeds where plain ROAST
// with a bad memory init scale (init 0.005, so λ = bound/init ≈ 35–140 and SGD steps on the
// recovered weights are λ² too large) diverges. MLP [2, 32, 32, 2] on spirals, one global memory,
// SGD with momentum (the gradient-scaling fix is for SGD-family optimisers). Seeded, wasm.
import { describe, expect, it } from 'vitest';
import { Rng, makeOptimizer, parameterLedger, split, spirals, toTensors } from '@weft/core';
import { HashedMLPClassifier, type HashMethod } from '@weft/sharing';
import { fit } from './sharing-exp-helpers.js';

const SEEDS = [1, 2, 3, 4, 5];
const STEPS = 300;

describe('experiment: STABLE-RPS vs ROAST stability at 10× compression', () => {
  // A seeded experiment on the paper's claim: runs with WEFT_LONG_EXPERIMENTS=1 (npm test's 25-minute budget).
  it.runIf(process.env.WEFT_LONG_EXPERIMENTS === '1')('STABLE-RPS does not diverge on any of 5 seeds; ROAST with init 0.005 diverges or does worse', { timeout: 600_000 }, async () => {
    const ds = spirals({ n: 800 }, 0);
    const [a, b] = split(ds, [0.75, 0.25], 0);
    const tr = toTensors(a!);
    const te = toTensors(b!);
    const t0 = performance.now();
    const results: Record<string, { acc: number; diverged: boolean }[]> = {};
    const run = async (name: string, method: HashMethod, memoryInit: number) => {
      results[name] = [];
      for (const seed of SEEDS) {
        const model = new HashedMLPClassifier({ inFeatures: 2, hidden: [32, 32], numClasses: 2, method, compression: 10, scope: 'global', memoryInit }, new Rng(seed));
        if (seed === SEEDS[0]) expect(parameterLedger(model).totals.stored).toBe(Math.ceil(1218 / 10));
        const r = await fit(model, tr, te, { steps: STEPS, batch: 64, optimizer: makeOptimizer({ name: 'momentum', learningRate: 0.05, momentum: 0.9 }), rng: new Rng(seed + 100) });
        results[name]!.push(r);
        model.dispose();
      }
    };
    await run('stable-rps (init 0.005)', 'stable-rps', 0.005);
    await run('roast (init 0.005)', 'roast', 0.005);
    await run('roast (init 1/√32, λ = 1 in the hidden layers)', 'roast', 1 / Math.sqrt(32));
    for (const [name, rs] of Object.entries(results)) {
      console.log(`${name}: acc per seed [${rs.map((r) => (r.diverged ? 'diverged' : (r.acc * 100).toFixed(1) + '%')).join(', ')}]`);
    }
    console.log(`spirals n=800, MLP [2,32,32,2] 1218 virtual → 122 stored, ${STEPS} momentum-SGD steps (lr 0.05), ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const stable = results['stable-rps (init 0.005)']!;
    const bad = results['roast (init 0.005)']!;
    // Stability is the claim: no seed diverges (a seed may still stall — see the printed accuracies).
    const mean = (rs: { acc: number; diverged: boolean }[]) => rs.reduce((s, r) => s + (r.diverged ? 0.5 : r.acc), 0) / rs.length; // a diverged run scores chance
    expect(stable.every((r) => !r.diverged && Number.isFinite(r.acc))).toBe(true);
    expect(mean(stable)).toBeGreaterThan(0.7);
    expect(bad.some((r) => r.diverged) || mean(bad) < mean(stable) - 0.05).toBe(true);
    tr.x.dispose(); tr.y.dispose(); te.x.dispose(); te.y.dispose();
  });
});
