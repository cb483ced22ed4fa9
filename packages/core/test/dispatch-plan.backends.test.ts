// droplessBlockPlan (ops/dispatch-plan.ts; one kernel on cpu, wasm and webgpu) against a naive plan written
// from its definition — pairs sorted stably by expert, each expert's ⌈count/b⌉ blocks in expert
// order — for balanced and skewed loads, empty experts, all pairs on one expert and several block
// sizes: exact integers. One kernel call, no tensor left behind; on cpu and wasm bad pairs and too few
// groups are refused naming the value. webgl has no kernel (MoE dispatch composes the plan there).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng, WEBGPU_DISPATCH_PLAN_MAX_PAIRS, droplessBlockPlan, hasDispatchPlanKernel } from '@weft/core';

/** The plan from its definition (see the op's documentation). */
function naivePlan(expert: number[], token: number[], E: number, N: number, b: number, G: number) {
  const order = expert.map((e, p) => [e, p] as const).sort((u, v) => u[0] - v[0] || u[1] - v[1]);
  const pairSlot = new Array<number>(expert.length);
  const slotToken = new Array<number>(G * b).fill(N);
  const blockExpert = new Array<number>(G).fill(E - 1);
  let block = 0;
  for (let e = 0; e < E; e++) {
    const mine = order.filter(([x]) => x === e).map(([, p]) => p);
    mine.forEach((p, rank) => {
      pairSlot[p] = block * b + rank;
      slotToken[block * b + rank] = token[p]!;
    });
    const own = Math.ceil(mine.length / b);
    for (let g = block; g < block + own; g++) blockExpert[g] = e;
    block += own;
  }
  return { pairSlot, slotToken, blockExpert };
}

describeBackends('droplessBlockPlan', (backend) => {
  const cases: Array<[string, number, number, number, (p: number, rng: Rng) => number]> = [
    ['balanced', 64, 8, 4, (p) => p % 8],
    ['random', 96, 6, 3, (_, rng) => Math.floor(rng.next() * 6)],
    ['skewed, experts 1 and 4 empty', 50, 5, 4, (p) => [0, 0, 0, 2, 3][p % 5]!],
    ['all on the last expert', 20, 4, 8, () => 3],
    ['block size 1', 12, 3, 1, (p) => (p * 5) % 3],
  ];
  for (const [label, P, E, b, pick] of cases) {
    it(`${label} (P=${P}, E=${E}, b=${b}): equals the naive plan`, async () => {
      if (!hasDispatchPlanKernel()) {
        expect(backend, 'only webgl lacks the kernel').toBe('webgl');
        return;
      }
      const rng = new Rng(P + E);
      const N = P / 2;
      const expert = Array.from({ length: P }, (_, p) => pick(p, rng));
      const token = Array.from({ length: P }, (_, p) => p % N); // slot-major pairs: token p mod N
      const G = Math.floor((P + E * (b - 1)) / b);
      const [e, t] = [tf.tensor1d(expert, 'int32'), tf.tensor1d(token, 'int32')];
      const before = tf.memory().numTensors;
      const profile = await tf.profile(() => {
        const plan = droplessBlockPlan(e, t, { numExperts: E, numTokens: N, blockSize: b, groups: G });
        return [plan.pairSlot, plan.slotToken, plan.blockExpert];
      });
      expect(profile.kernels.map((k) => k.name)).toEqual(['WeftDispatchPlan']);
      tf.dispose(profile.result as tf.Tensor[]);
      const plan = droplessBlockPlan(e, t, { numExperts: E, numTokens: N, blockSize: b, groups: G });
      const want = naivePlan(expert, token, E, N, b, G);
      expect(plan.pairSlot.dtype).toBe('int32');
      expect(Array.from(await plan.pairSlot.data())).toEqual(want.pairSlot);
      expect(Array.from(await plan.slotToken.data())).toEqual(want.slotToken);
      expect(Array.from(await plan.blockExpert.data())).toEqual(want.blockExpert);
      tf.dispose([plan.pairSlot, plan.slotToken, plan.blockExpert]);
      expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
      tf.dispose([e, t]);
    });
  }

  it('the kernel serves every size on cpu and wasm, and up to WEBGPU_DISPATCH_PLAN_MAX_PAIRS pairs on webgpu', () => {
    const big = WEBGPU_DISPATCH_PLAN_MAX_PAIRS + 1;
    if (backend === 'webgl') return expect(hasDispatchPlanKernel(2)).toBe(false);
    expect(hasDispatchPlanKernel(WEBGPU_DISPATCH_PLAN_MAX_PAIRS)).toBe(true);
    expect(hasDispatchPlanKernel(big)).toBe(backend !== 'webgpu');
  });

  it('refuses an expert or token out of range and too few groups, naming the value', () => {
    const attrs = { numExperts: 3, numTokens: 4, blockSize: 2, groups: 4 };
    const t = tf.tensor1d([0, 1, 2, 3], 'int32');
    if (!hasDispatchPlanKernel()) {
      expect(() => droplessBlockPlan(tf.tensor1d([0, 0, 0, 0], 'int32'), t, attrs)).toThrow(/has no WeftDispatchPlan kernel; Weft registers it on cpu, wasm and webgpu/);
      return;
    }
    expect(() => droplessBlockPlan(tf.tensor1d([0, 1, 2, 2]) as tf.Tensor1D, t, attrs)).toThrow(/must be int32/);
    expect(() => droplessBlockPlan(tf.tensor1d([0, 1, 2], 'int32'), t, attrs)).toThrow(/must be \(P,\) and \(P,\)/);
    expect(() => droplessBlockPlan(tf.tensor1d([0, 1, 2, 2], 'int32'), t, { ...attrs, blockSize: 0 })).toThrow(/blockSize=0; expected a positive integer/);
    if (backend === 'webgpu') return; // a shader cannot throw (kernels/dispatch-plan-webgpu.ts)
    expect(() => droplessBlockPlan(tf.tensor1d([0, 3, 1, 1], 'int32'), t, attrs)).toThrow(/expert\[1\]=3; allowed: 0 ≤ expert < numExperts=3/);
    expect(() => droplessBlockPlan(tf.tensor1d([0, 1, 1, 1], 'int32'), tf.tensor1d([0, 1, 4, 3], 'int32'), attrs)).toThrow(/token\[2\]=4; allowed: 0 ≤ token < numTokens=4/);
    expect(() => droplessBlockPlan(tf.tensor1d([0, 1, 2, 2], 'int32'), t, { ...attrs, groups: 2 })).toThrow(/need 3 blocks of 2 rows; groups=2 is too few/);
  });
});
