// Puzzle: Distillation-Based NAS for Inference-Optimized LLMs, arXiv 2411.19146. References: the
// exact budgeted choice against brute force over every combination; the Linear that replaces
// attention (W_v·W_o) against the attention itself on one-token sequences (1e-5); the narrowed FFN
// against the parent with every unit kept, and its kept units against channel contributions
// computed by loops; the all-full child against the parent (1e-5). BLD lowers every variant's
// normalised MSE and leaks nothing. Experiment (long): seeds 0–2, the searched child against the
// best uniform child at seven parameter budgets (the paper: the searched child is better).
// Measured (reverse 6 of 8 tokens, parent 34,176 subblock parameters, 100 % token accuracy; held-out
// accuracy searched vs best uniform, mean over seeds 0–2): 10 %: 12.6 vs 12.8 % (both at chance, and the
// searched child's loss is worse, 6.1 vs 3.0: the replace-one scores add up badly when nearly every
// subblock goes); 15 %: 93.0 ± 6.1 vs 12.8 %; 20–45 %: 100 vs 12.8 %; 60 %: 100 vs 95.5 ± 5.2 %;
// 75 %: both 100 % (searched loss lower in 3/3 seeds, by < 1e-4). The claim holds from 15 % up; the
// toy parent is over-sized for the task, and a uniform child below 50 % of the parameters cannot keep
// full attention in every block, which reversal needs somewhere.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, MLP, Rng, TinyTransformer, parameterLedger } from '@weft/core';
import {
  PUZZLE_DEFAULTS, blockwiseDistill, buildPuzzleLibrary, channelContribution, choiceCost, exactChoice, fullChoice, linearFromAttention, lmEval, narrowedMlp,
  parentStates, puzzleSearch, puzzleToy, puzzleToyData, replaceOneScores, uniformChoices,
} from '../src/index.js';
import { LONG_EXPERIMENTS } from './long-experiments.js';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));
const pm = (a: number[], d = 3) => `${mean(a).toFixed(d)} ± ${sd(a).toFixed(d)}`;
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

const parentOf = (seed = 0) => new TinyTransformer({ vocabSize: 9, maxLen: 12, dim: 16, depth: 2, numHeads: 2, mlpHidden: 32 }, new Rng(seed));

describe('Puzzle: the exact budgeted choice', () => {
  it('equals brute force over every combination (random instances, every budget)', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 20; trial++) {
      const groups = Array.from({ length: 2 + rng.int(3) }, () => Array.from({ length: 1 + rng.int(3) }, () => ({ cost: rng.int(12), score: rng.uniform(-1, 1) })));
      for (let budget = 0; budget <= 30; budget += 3) {
        let best = -Infinity;
        const walk = (i: number, cost: number, score: number) => {
          if (cost > budget) return;
          if (i === groups.length) return void (best = Math.max(best, score));
          for (const o of groups[i]!) walk(i + 1, cost + o.cost, score + o.score);
        };
        walk(0, 0, 0);
        if (best === -Infinity) {
          expect(() => exactChoice(groups, budget)).toThrow(/no choice fits budget/);
          continue;
        }
        const r = exactChoice(groups, budget);
        expect(r.score).toBeCloseTo(best, 12);
        expect(r.cost).toBeLessThanOrEqual(budget);
        expect(r.choice.reduce((s, k, i) => s + groups[i]![k]!.score, 0)).toBeCloseTo(best, 12);
      }
    }
    expect(() => exactChoice([[{ cost: 1.5, score: 0 }]], 3)).toThrow(/groups\[0\]\[0\]\.cost=1\.5 must be a non-negative integer/);
    expect(() => exactChoice([[{ cost: 1, score: 0 }]], -1)).toThrow(/budget=-1/);
  });
});

describe('Puzzle: subblock variants', () => {
  it('the Linear replacing attention (W_v·W_o, b_v·W_o + b_o) equals the attention on one-token sequences (1e-5)', () => {
    const p = parentOf();
    const attn = p.blocks.items[0]! as unknown as import('@weft/core').TransformerBlock;
    const lin = linearFromAttention(attn.attn, new Rng(1));
    const x = tf.randomNormal([5, 1, 16], 0, 1, 'float32', 2);
    const a = attn.attn.forward({ x, attentionMask: null });
    const l = lin.forward(x);
    expect(maxDiff(a, l)).toBeLessThan(1e-5);
    // On longer sequences the two differ (attention mixes tokens).
    const x3 = tf.randomNormal([2, 4, 16], 0, 1, 'float32', 3);
    expect(tf.tidy(() => maxDiff(attn.attn.forward({ x: x3, attentionMask: null }), lin.forward(x3)))).toBeGreaterThan(1e-3);
    tf.dispose([x, a, l, x3]);
    lin.dispose();
    p.dispose();
  });

  it('channel contributions equal a loop over units; narrowing keeps the largest, and keeping all equals the parent (1e-6)', async () => {
    const mlp = new MLP({ dim: 3, hidden: 6 }, new Rng(3));
    const x = tf.randomNormal([7, 3], 0, 1, 'float32', 4) as tf.Tensor2D;
    const got = await channelContribution(mlp, x).data();
    // Loop: gelu (tanh-free erf form is tfjs's; use the module's own hidden activations) × the row norm of W2.
    const h = tf.tidy(() => tf.abs(tf.sub(mlp.fc2!.forward(tf.zeros([1, 6])), mlp.fc2!.bias!))); // zero: checks fc2 is linear
    expect(h.dataSync().every((v) => v < 1e-7)).toBe(true);
    const act = tf.tidy(() => {
      const z = mlp.fc1!.forward(x);
      return tf.mul(0.5, tf.mul(z, tf.add(1, tf.erf(tf.div(z, Math.SQRT2))))); // exact GELU
    }).arraySync() as number[][];
    const w2 = mlp.fc2!.weight.arraySync() as number[][];
    for (let j = 0; j < 6; j++) {
      const m = act.reduce((s, r) => s + Math.abs(r[j]!), 0) / act.length;
      const n = Math.hypot(...w2[j]!);
      expect(got[j]!).toBeCloseTo(m * n, 4);
    }
    const order = [...got.keys()].sort((a, b) => got[b]! - got[a]!);
    const narrow = narrowedMlp(mlp, 2, got as Float32Array);
    const kept = [...order.slice(0, 2)].sort((a, b) => a - b);
    expect(tf.tidy(() => maxDiff(narrow.fc1!.weight, tf.gather(mlp.fc1!.weight, kept, 1)))).toBe(0);
    const all = narrowedMlp(mlp, 6, got as Float32Array);
    expect(tf.tidy(() => maxDiff(all.forward(x), mlp.forward(x)))).toBeLessThan(1e-6);
    expect(() => narrowedMlp(mlp, 7, got as Float32Array)).toThrow(/hidden=7 must be an integer in \[1, 6\]/);
    tf.dispose([x, h]);
    for (const m of [mlp, narrow, all]) m.dispose();
  });
});

describe('Puzzle: children, BLD and the search', () => {
  it('the all-full child equals the parent (1e-5); parameters add up; BLD lowers every NMSE without leaking', async () => {
    const data = puzzleToyData(0);
    const p = parentOf();
    const before = tf.memory().numTensors;
    const calib = tf.slice(data.train.x, 0, 64);
    const lib = await buildPuzzleLibrary(p, calib, { steps: 20, batchSize: 16 }, new Rng(0));
    calib.dispose();
    const full = lib.child(fullChoice(lib));
    const ids = tf.slice(data.val.x, 0, 8);
    const ctx = new ForwardContext({ training: false });
    expect(tf.tidy(() => maxDiff(full.forward(ids, ctx), p.forward(ids, ctx)))).toBeLessThan(1e-5);
    expect(parameterLedger(full).totals.stored).toBe(parameterLedger(p).totals.stored);
    // The parent's states: the sum of the branches rebuilds the stream the readout sees.
    tf.tidy(() => {
      const s = parentStates(p, ids);
      expect(maxDiff(tf.add(s.ffnIn[1]!, s.ffnOut[1]!), tf.add(tf.add(s.attentionIn[0]!, s.attentionOut[0]!), tf.add(tf.add(s.ffnOut[0]!, s.attentionOut[1]!), s.ffnOut[1]!)))).toBeLessThan(1e-5);
    });
    ids.dispose();

    const bld = await blockwiseDistill(lib, data.train.x, data.val.x, 0);
    expect(bld.length).toBe(2 * (1 + 2)); // per block: attention 'linear'; FFN 'ffn-0.5', 'ffn-0.25'
    for (const r of bld) expect(r.after, `${r.block} ${r.kind} ${r.variant}`).toBeLessThan(r.before);
    const { parent, scores } = await replaceOneScores(lib, data.val);
    expect(parent.loss).toBeGreaterThan(0);
    expect(scores.filter((s) => s.variant === 'full').every((s) => s.delta === 0)).toBe(true);
    // A child's stored parameters: the parent's, less each replaced subblock's, plus its variant's.
    const choice = [{ attention: 'none', ffn: 'ffn-0.5' }, { attention: 'linear', ffn: 'full' }];
    const child = lib.child(choice);
    const sub = (b: number, k: 'attention' | 'ffn', v: string) => scores.find((s) => s.block === b && s.kind === k && s.variant === v)!.params;
    expect(parameterLedger(child).totals.stored).toBe(parameterLedger(p).totals.stored - sub(0, 'attention', 'full') - sub(0, 'ffn', 'full') - sub(1, 'attention', 'full') + sub(0, 'ffn', 'ffn-0.5') + sub(1, 'attention', 'linear'));
    expect(choiceCost(scores, choice)).toBe(sub(0, 'ffn', 'ffn-0.5') + sub(1, 'attention', 'linear') + sub(1, 'ffn', 'full'));
    // The search keeps to the budget; with the whole budget the parent itself is a candidate (Δ = 0), so the best Δ ≤ 0.
    const total = choiceCost(scores, fullChoice(lib));
    expect(puzzleSearch(scores, total).predictedDelta).toBeLessThanOrEqual(0);
    const half = puzzleSearch(scores, total / 2);
    expect(half.cost).toBeLessThanOrEqual(total / 2);
    expect(uniformChoices(lib).length).toBe(PUZZLE_DEFAULTS.attentionVariants.length * PUZZLE_DEFAULTS.ffnVariants.length);
    expect(Number.isFinite((await lmEval(lib.child(half.choice), data.val)).loss)).toBe(true);
    lib.dispose();
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
    tf.dispose([data.train.x, data.train.y, data.val.x, data.val.y]);
  });

  it('options are checked by name', async () => {
    const p = parentOf();
    const ids = tf.zeros([2, 12], 'int32');
    await expect(buildPuzzleLibrary(p, ids, { step: 3 } as never)).rejects.toThrow(/unknown option 'step'; did you mean 'steps'/);
    await expect(buildPuzzleLibrary(p, ids, { attentionVariants: ['linear'] })).rejects.toThrow(/must include 'full'/);
    await expect(buildPuzzleLibrary(p, ids, { ffnVariants: ['full', 'ffn-2'] })).rejects.toThrow(/ffn variant="ffn-2" must be full, none or ffn-<share/);
    await expect(puzzleToy(0, { parentStep: 1 } as never)).rejects.toThrow(/unknown option 'parentStep'; did you mean 'parentSteps'/);
    expect(() => puzzleSearch([], 10, 'flops' as never)).toThrow(/cost="flops" must be 'params' or 'macs'/);
    ids.dispose();
    p.dispose();
  });

  it.runIf(LONG_EXPERIMENTS)('experiment: searched child vs the best uniform child at 10–75% of the subblock parameters, seeds 0–2', async () => {
    const before = tf.memory().numTensors;
    const gaps: Record<number, number[]> = {};
    const lines: string[] = [];
    for (const seed of [0, 1, 2]) {
      const t0 = performance.now();
      const r = await puzzleToy(seed);
      lines.push(`[puzzle seed ${seed}] parent ${r.parent.params} subblock params, loss ${r.parent.loss.toFixed(3)}, acc ${r.parent.accuracy.toFixed(3)}; ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      for (const b of r.budgets) {
        const u = b.uniform;
        lines.push(`  budget ${(b.share * 100).toFixed(0)}% (${b.budget}): searched ${b.searched.params} loss ${b.searched.loss.toFixed(3)} acc ${b.searched.accuracy.toFixed(3)} [${b.searched.choice.map((c) => `${c.attention}/${c.ffn}`).join(' ')}]; uniform ${u ? `${u.params} loss ${u.loss.toFixed(3)} acc ${u.accuracy.toFixed(3)} [${u.choice[0]!.attention}/${u.choice[0]!.ffn}]` : 'none fits'}`);
        if (u) (gaps[b.share] ??= []).push(u.loss - b.searched.loss);
      }
      console.log(lines.splice(0).join('\n'));
    }
    for (const [share, g] of Object.entries(gaps)) console.log(`[puzzle] budget ${(Number(share) * 100).toFixed(0)}%: uniform loss − searched loss ${pm(g)} (${g.map((v) => v.toFixed(3)).join(', ')}); searched better in ${g.filter((v) => v > 0).length}/${g.length}`);
    expect(tf.memory().numTensors).toBe(before);
  }, 3_600_000);
});
