// PEFT-exact add_weighted_adapter: test/fixtures/peft-merge holds PEFT 0.21.0's own results of
// add_weighted_adapter(['a', 'b'], [0.7, 0.5]) on two LoRAs (r=4, α=8 and α=2) for linear, cat, svd,
// ties, ties_svd, magnitude_prune and magnitude_prune_svd (density 0.5). Factor-space types must give
// PEFT's factors; SVD types PEFT's ΔW and factors up to each singular vector's sign; every type PEFT's
// output. DARE is random in PEFT: its structure (each entry is Σ over a Bernoulli mask of the factor
// formula, the kept rate, the rescale) is checked against the formula with Weft's seeded masks.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng } from '@weft/core';
import {
  AdaptedLayer, LoraLayer, PEFT_COMBINATION_TYPES, adapterNames, addWeightedAdapter, injectAdapter, quantile, svd, type PeftCombinationType,
} from '../src/index.js';
import { T, Tiny, maxDiff, type Mat } from './adapters-helpers.js';

/** Absolute tolerance: float32 on both sides; factor types are entry-wise arithmetic (observed ≤ 1e-7), SVD types go through a float64 Jacobi SVD vs torch's float32 one (observed ≤ 5e-7). */
const TOL = 1e-5;

const DIR = new URL('../../../test/fixtures/peft-merge/', import.meta.url);
type Factors = { lora_A: Mat; lora_B: Mat; scaling: number; delta_weight: Mat };
const inputs = JSON.parse(readFileSync(new URL('inputs.json', DIR), 'utf8')) as {
  base_state_dict: Record<string, Mat | number[]>; x: Mat; adapters: Record<'a' | 'b', Record<'fc1' | 'fc2', Factors>>;
};
const results = JSON.parse(readFileSync(new URL('results.json', DIR), 'utf8')) as Record<string, {
  kwargs: { weights: number[]; density?: number }; modules: Record<'fc1' | 'fc2', Factors>; y: Mat;
}>;

const layerOf = (m: Tiny, p: 'fc1' | 'fc2') => m[p] as unknown as AdaptedLayer;
const lora = (m: Tiny, p: 'fc1' | 'fc2', name: string) => layerOf(m, p).adapter(name) as LoraLayer;

/** The fixture's base model with PEFT's adapters a and b (factors transposed to Weft's layout). */
function fixtureModel(): Tiny {
  const model = new Tiny(new Rng(0));
  for (const p of ['fc1', 'fc2'] as const) {
    model[p].weight.assign(tf.tensor2d(T(inputs.base_state_dict[`${p}.base_layer.weight`] as Mat)));
    model[p].bias!.assign(tf.tensor1d(inputs.base_state_dict[`${p}.base_layer.bias`] as number[]));
  }
  for (const [name, alpha] of [['a', 8], ['b', 2]] as const) {
    injectAdapter(model, name, { method: 'lora', targets: ['fc1', 'fc2'], r: 4, alpha });
    for (const p of ['fc1', 'fc2'] as const) {
      lora(model, p, name).loraA.assign(tf.tensor2d(T(inputs.adapters[name][p].lora_A))); // [in, r]
      lora(model, p, name).loraB.assign(tf.tensor2d(T(inputs.adapters[name][p].lora_B))); // [r, out]
    }
  }
  return model;
}

/** Max |a − b| over columns matched up to sign (singular vectors are defined up to sign). */
async function maxDiffUpToColumnSign(a: tf.Tensor2D, b: Mat): Promise<number> {
  const av = await a.array();
  let worst = 0;
  for (let c = 0; c < av[0]!.length; c++) {
    const d = (sign: number) => Math.max(...av.map((row, i) => Math.abs(row[c]! - sign * b[i]![c]!)));
    worst = Math.max(worst, Math.min(d(1), d(-1)));
  }
  return worst;
}

describe('addWeightedAdapter against PEFT 0.21.0 (fixtures/peft-merge)', () => {
  for (const [type, res] of Object.entries(results)) {
    it(`${type}: PEFT's factors${type.includes('svd') ? ' (up to sign)' : ''}, ΔW and output`, async () => {
      const model = fixtureModel();
      const paths = await addWeightedAdapter(model, ['a', 'b'], res.kwargs.weights, 'm', {
        combinationType: type as PeftCombinationType, ...(res.kwargs.density === undefined ? {} : { density: res.kwargs.density }),
      });
      expect(paths).toEqual(['fc1', 'fc2']);
      for (const p of ['fc1', 'fc2'] as const) {
        const m = lora(model, p, 'm'), want = res.modules[p];
        expect(m.scaling).toBe(want.scaling);
        expect(m.options.r).toBe(want.lora_A.length);
        if (type.includes('svd')) {
          // PEFT: lora_B = U·S ([out, r]) and lora_A = Vh ([r, in]); in Weft's layout B's rows and A's columns are the vectors.
          expect(await maxDiffUpToColumnSign(m.loraA, T(want.lora_A))).toBeLessThan(TOL);
          expect(await maxDiffUpToColumnSign(tf.transpose(m.loraB) as tf.Tensor2D, want.lora_B)).toBeLessThan(TOL);
        } else {
          expect(await maxDiff(m.loraA, T(want.lora_A))).toBeLessThan(TOL);
          expect(await maxDiff(m.loraB, T(want.lora_B))).toBeLessThan(TOL);
        }
        expect(await maxDiff(m.deltaWeight(), T(want.delta_weight))).toBeLessThan(TOL);
      }
      expect(await maxDiff(model.forward(tf.tensor2d(inputs.x), new ForwardContext()), res.y)).toBeLessThan(TOL);
      expect(layerOf(model, 'fc1').active).toEqual(['m']);
      model.dispose();
    });
  }

  it('the fixtures cover every PEFT type but the random DARE ones, which are checked below', () => {
    expect(PEFT_COMBINATION_TYPES.filter((t) => !(t in results))).toEqual(['dare_linear', 'dare_ties', 'dare_linear_svd', 'dare_ties_svd']);
  });
});

describe('addWeightedAdapter: DARE (random in PEFT) against its formula', () => {
  /** Every value Σₖ mₖ wₖ xₖ / density can take over the masks m ∈ {0,1}ᴷ (linear) or the TIES disjoint mean over the kept entries. */
  function candidates(xs: number[], ws: number[], density: number, ties: boolean): number[] {
    const out: number[] = [];
    for (let mask = 0; mask < 1 << xs.length; mask++) {
      const kept = xs.map((x, k) => ((mask >> k) & 1 ? x / density : 0));
      if (!ties) {
        out.push(kept.reduce((s, v, k) => s + ws[k]! * v, 0));
        continue;
      }
      const vote = kept.reduce((s, v) => s + v, 0); // 'total' election on the unweighted values
      const elected = vote >= 0 ? 1 : -1;
      const agree = kept.map((v) => Math.sign(v) === elected);
      const n = agree.filter(Boolean).length;
      out.push(kept.reduce((s, v, k) => s + (agree[k] ? ws[k]! * v : 0), 0) / Math.max(n, 1));
    }
    return out;
  }

  for (const type of ['dare_linear', 'dare_ties'] as const) {
    it(`${type}: each factor entry is the ${type === 'dare_ties' ? 'TIES disjoint mean' : 'weighted sum'} of a Bernoulli(density) mask rescaled by 1/density; ~density of the entries survive; seeded`, async () => {
      const density = 0.3, w = [0.7, -0.5];
      const model = fixtureModel();
      await addWeightedAdapter(model, ['a', 'b'], w, 'd', { combinationType: type, density, seed: 7 });
      let kept = 0, total = 0;
      for (const p of ['fc1', 'fc2'] as const) {
        const a = lora(model, p, 'a'), b = lora(model, p, 'b'), d = lora(model, p, 'd');
        const ws = [w[0]! * a.scaling, w[1]! * b.scaling];
        const wA = ws.map((x) => Math.sqrt(Math.abs(x)) * Math.sign(x)), wB = ws.map((x) => Math.sqrt(Math.abs(x)));
        for (const [f, ww] of [['loraA', wA], ['loraB', wB]] as const) {
          const xa = await a[f].data(), xb = await b[f].data(), got = await d[f].data();
          got.forEach((g, j) => {
            const c = candidates([xa[j]!, xb[j]!], ww, density, type === 'dare_ties');
            expect(Math.min(...c.map((v) => Math.abs(v - g))), `${p}.${f}[${j}] = ${g}`).toBeLessThan(1e-5);
            if (g !== 0) kept++;
            total++;
          });
        }
      }
      // P(entry ≠ 0) = 1 − (1 − d)² = 0.51 for two sources (up to exact cancellations): 352 entries, ±4σ ≈ ±0.107.
      expect(Math.abs(kept / total - 0.51)).toBeLessThan(0.11);
      const again = fixtureModel();
      await addWeightedAdapter(again, ['a', 'b'], w, 'd', { combinationType: type, density, seed: 7 });
      expect(await maxDiff(lora(again, 'fc1', 'd').loraA, lora(model, 'fc1', 'd').loraA)).toBe(0);
      model.dispose();
      again.dispose();
    });
  }

  it('density 1 makes dare_linear = linear and dare_ties_svd = ties_svd at density 1 (nothing dropped or rescaled)', async () => {
    const model = fixtureModel();
    await addWeightedAdapter(model, ['a', 'b'], [0.7, 0.5], 'dl', { combinationType: 'dare_linear', density: 1 });
    await addWeightedAdapter(model, ['a', 'b'], [0.7, 0.5], 'l', { combinationType: 'linear' });
    await addWeightedAdapter(model, ['a', 'b'], [0.7, 0.5], 'dts', { combinationType: 'dare_ties_svd', density: 1 });
    await addWeightedAdapter(model, ['a', 'b'], [0.7, 0.5], 'ts', { combinationType: 'ties_svd', density: 1 });
    expect(await maxDiff(lora(model, 'fc1', 'dl').loraA, lora(model, 'fc1', 'l').loraA)).toBe(0);
    expect(await maxDiff(lora(model, 'fc2', 'dts').deltaWeight(), lora(model, 'fc2', 'ts').deltaWeight())).toBeLessThan(1e-6);
    model.dispose();
  });

  it('dare_linear_svd: ΔW keeps ~density of Σ wᵢΔWᵢ entries rescaled (one source, full rank)', async () => {
    const model = fixtureModel();
    await addWeightedAdapter(model, ['a', 'b'], [1, 0], 'd', { combinationType: 'dare_linear_svd', density: 0.5, svdRank: 4, seed: 3 });
    // b has weight 0, so ΔW = mask ⊙ ΔW_a / 0.5; its rank may exceed 4, so compare the pruned matrix's best rank-4 approximation.
    const a = await lora(model, 'fc2', 'a').deltaWeight().data(), d = await lora(model, 'fc2', 'd').deltaWeight().data();
    expect(d.length).toBe(64);
    // fc2 is 16 → 4, so rank 4 is exact: every entry is 0 or 2·ΔW_a.
    d.forEach((v, j) => expect(Math.min(Math.abs(v), Math.abs(v - 2 * a[j]!)), `entry ${j}`).toBeLessThan(1e-5));
    model.dispose();
  });
});

describe('addWeightedAdapter: options and edges', () => {
  it('svdClamp clamps both factors at the quantile of their values (torch.quantile, linear interpolation)', async () => {
    const model = fixtureModel();
    await addWeightedAdapter(model, ['a', 'b'], [0.7, 0.5], 'full', { combinationType: 'svd' });
    await addWeightedAdapter(model, ['a', 'b'], [0.7, 0.5], 'clamped', { combinationType: 'svd', svdClamp: 0.9 });
    const full = lora(model, 'fc1', 'full'), cl = lora(model, 'fc1', 'clamped');
    const values = [...(await full.loraA.data()), ...(await full.loraB.data())];
    const hi = quantile(values, 0.9);
    const clip = (x: number) => Math.min(Math.max(x, -hi), hi);
    expect(await maxDiff(cl.loraA, tf.tensor(Array.from(await full.loraA.data(), clip)))).toBeLessThan(1e-6);
    expect(await maxDiff(cl.loraB, tf.tensor(Array.from(await full.loraB.data(), clip)))).toBeLessThan(1e-6);
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(quantile([3, 1, 2, 4], 1)).toBe(4);
    model.dispose();
  });

  it('svdRank truncates (Eckart–Young residual); svdFullMatrices does not change the factors', async () => {
    const model = fixtureModel();
    await addWeightedAdapter(model, ['a', 'b'], [1, 1], 'r2', { combinationType: 'svd', svdRank: 2 });
    await addWeightedAdapter(model, ['a', 'b'], [1, 1], 'r2f', { combinationType: 'svd', svdRank: 2, svdFullMatrices: false });
    await addWeightedAdapter(model, ['a', 'b'], [1, 1], 'lin', { combinationType: 'cat' });
    const full = await lora(model, 'fc1', 'lin').deltaWeight().data();
    const { s } = svd(full, 8, 16);
    const tail = Array.from(s).slice(2).reduce((x, v) => x + v * v, 0);
    const r2 = await lora(model, 'fc1', 'r2').deltaWeight().data();
    const resid = r2.reduce((x, v, j) => x + (v - full[j]!) ** 2, 0);
    expect(Math.abs(resid - tail) / tail).toBeLessThan(1e-3);
    expect(await maxDiff(lora(model, 'fc1', 'r2f').loraA, lora(model, 'fc1', 'r2').loraA)).toBe(0);
    model.dispose();
  });

  it('majoritySignMethod "frequency" elects by counting signs (hand-computed on one factor)', async () => {
    const model = fixtureModel();
    // Three sources make the vote count matter: c = −a on fc1.
    injectAdapter(model, 'c', { method: 'lora', targets: ['fc1', 'fc2'], r: 4, alpha: 8 });
    for (const p of ['fc1', 'fc2'] as const) {
      lora(model, p, 'c').loraA.assign(tf.neg(lora(model, p, 'a').loraA));
      lora(model, p, 'c').loraB.assign(tf.neg(lora(model, p, 'a').loraB));
    }
    await addWeightedAdapter(model, ['a', 'b', 'c'], [1, 1, 1], 'f', { combinationType: 'ties', density: 1, majoritySignMethod: 'frequency' });
    const xa = await lora(model, 'fc1', 'a').loraA.data(), xb = await lora(model, 'fc1', 'b').loraA.data(), got = await lora(model, 'fc1', 'f').loraA.data();
    const wa = Math.sqrt(2), wb = Math.sqrt(0.5); // √(w·s): s_a = s_c = 2, s_b = 0.5
    got.forEach((g, j) => {
      const vals = [xa[j]!, xb[j]!, -xa[j]!], ws = [wa, wb, wa];
      const elected = vals.reduce((s, v) => s + Math.sign(v), 0) >= 0 ? 1 : -1;
      const agree = vals.map((v) => Math.sign(v) === elected);
      const want = vals.reduce((s, v, k) => s + (agree[k] ? ws[k]! * v : 0), 0) / Math.max(agree.filter(Boolean).length, 1);
      expect(Math.abs(g - want)).toBeLessThan(1e-6);
    });
    model.dispose();
  });

  it('negative weights put the sign on A only; one source is always linear; rsLoRA of the first source is kept', async () => {
    const model = fixtureModel();
    await addWeightedAdapter(model, ['a', 'b'], [-0.7, 0.5], 'neg', { combinationType: 'linear' });
    const a = lora(model, 'fc1', 'a'), b = lora(model, 'fc1', 'b'), n = lora(model, 'fc1', 'neg');
    const wantA = tf.add(tf.mul(a.loraA, -Math.sqrt(0.7 * 2)), tf.mul(b.loraA, Math.sqrt(0.5 * 0.5)));
    const wantB = tf.add(tf.mul(a.loraB, Math.sqrt(0.7 * 2)), tf.mul(b.loraB, Math.sqrt(0.5 * 0.5)));
    expect(await maxDiff(n.loraA, wantA)).toBeLessThan(1e-6);
    expect(await maxDiff(n.loraB, wantB)).toBeLessThan(1e-6);
    await addWeightedAdapter(model, ['b'], [2], 'one', { combinationType: 'ties', density: 0.1 }); // PEFT: a single adapter is merged linearly
    expect(await maxDiff(lora(model, 'fc1', 'one').deltaWeight(), tf.mul(b.deltaWeight(), 2))).toBeLessThan(1e-6);
    injectAdapter(model, 'rs', { method: 'lora', targets: ['fc1'], r: 4, alpha: 2, rslora: true, initWeights: false }, { rng: new Rng(4) });
    await addWeightedAdapter(model, ['rs', 'a'], [1, 1], 'rsm', { combinationType: 'cat' });
    expect(lora(model, 'fc1', 'rsm').scaling).toBeCloseTo(8 / Math.sqrt(8), 12); // r = α = 8, α/√r as PEFT's copied config gives
    model.dispose();
  });

  it('refuses what PEFT cannot combine, with the model unchanged', async () => {
    const model = fixtureModel();
    injectAdapter(model, 'r2', { method: 'lora', targets: ['fc1'], r: 2, alpha: 2, initWeights: false }, { rng: new Rng(5) });
    injectAdapter(model, 'h', { method: 'loha', targets: ['fc1'], r: 2, alpha: 2, initWeights: false }, { rng: new Rng(6) });
    injectAdapter(model, 'dora', { method: 'lora', targets: ['fc1'], r: 4, alpha: 2, dora: true, initWeights: false }, { rng: new Rng(7) });
    const before = adapterNames(model);
    const add = (o: object, s = ['a', 'b'], w = [1, 1], name = 'x') => addWeightedAdapter(model, s, w, name, o);
    await expect(add({ combinationType: 'ties' })).rejects.toThrow(/combinationType "ties" needs a density/);
    await expect(add({ combinationType: 'dare_linear', density: 0 })).rejects.toThrow(/density=0 is not allowed for "dare_linear"/);
    await expect(add({ combinationType: 'ties', density: 1.5 })).rejects.toThrow(/density=1.5 must be a number in \[0, 1\]/);
    await expect(add({ combinationType: 'linear' }, ['a', 'r2'])).rejects.toThrow(/"linear" needs equal ranks; at "fc1" the sources have r=4, 2/);
    await expect(add({ combinationType: 'svd' }, ['a', 'h'])).rejects.toThrow(/"h" at "fc1" is loha; add_weighted_adapter combines plain LoRA/);
    await expect(add({ combinationType: 'svd' }, ['a', 'dora'])).rejects.toThrow(/"dora" at "fc1" is lora with DoRA/);
    await expect(add({ combinationType: 'svd', svdRank: 5 })).rejects.toThrow(/svdRank=5 exceeds min\(in, out\)=4 at "fc2"/);
    await expect(add({ combinationType: 'slerp' })).rejects.toThrow(/combinationType="slerp" must be one of "svd", "linear"/);
    await expect(add({ combination_type: 'svd' })).rejects.toThrow(/unknown option 'combination_type'; did you mean 'combinationType'/);
    await expect(add({ combinationType: 'ties', density: 0.5, majoritySignMethod: 'sum' })).rejects.toThrow(/majoritySignMethod="sum" must be one of "total", "frequency"/);
    await expect(add({}, ['a', 'zz'])).rejects.toThrow(/no adapter "zz"/);
    await expect(add({}, ['a', 'b'], [1])).rejects.toThrow(/weights=\[1\] must be 2 finite numbers/);
    await expect(add({}, ['a', 'b'], [1, 1], 'a')).rejects.toThrow(/already has an adapter "a"/);
    expect(adapterNames(model)).toEqual(before);
    model.dispose();
  });

  it('leaks no tensor', async () => {
    const model = fixtureModel();
    const before = tf.memory().numTensors;
    for (const t of ['linear', 'ties', 'svd', 'dare_ties_svd'] as const) {
      await addWeightedAdapter(model, ['a', 'b'], [1, 1], `m_${t}`, { combinationType: t, density: 0.5 });
    }
    // Each new adapter holds A and B on fc1 and fc2.
    expect(tf.memory().numTensors - before).toBe(4 * 4);
    model.dispose();
  });
});
