// WeftDispatchPlan: a dropless MoE's block plan (MegaBlocks-style, see @weft/moe's dispatch.ts) in
// one pass on cpu and wasm. As tfjs ops the plan is ~40 kernels of bookkeeping on a few hundred
// integers — a stable sort of the pairs by expert (TopK of a key), segment sums, cumsums, casts and
// a where — about a fifth of moe.html's whole training step; here it is two loops over the pairs.
//   inputs  expert (P,) int32 in [0, E), token (P,) int32 in [0, N)
//   attrs   numExperts E, numTokens N, blockSize b, groups G (≥ Σ_e ⌈count_e/b⌉)
//   outputs pairSlot (P,)     buffer row of each pair: its expert's first block · b + its rank
//                             among the earlier pairs of that expert (pair order)
//           slotToken (G·b,)  token of each buffer row, N for an empty row
//           blockExpert (G,)  expert of each block; unused tail blocks name the last expert
// All int32. No gradient: the plan is integers.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { computeOutputs, type NumericArray } from './io.js';

/** The kernel's name. */
export const DISPATCH_PLAN = 'WeftDispatchPlan';

/** Attributes of {@link DISPATCH_PLAN}. */
export interface DispatchPlanAttrs {
  numExperts: number;
  numTokens: number;
  blockSize: number;
  groups: number;
}

/** Fill the plan's outputs from the pairs' experts and tokens (see the file's comment). */
export function fillDispatchPlan(expert: NumericArray, token: NumericArray, a: DispatchPlanAttrs, pairSlot: NumericArray, slotToken: NumericArray, blockExpert: NumericArray): void {
  const { numExperts: E, numTokens: N, blockSize: b, groups: G } = a;
  const P = expert.length;
  const counts = new Int32Array(E);
  for (let p = 0; p < P; p++) {
    const e = expert[p]!;
    if (!(e >= 0 && e < E)) throw new Error(`${DISPATCH_PLAN}: expert[${p}]=${e}; allowed: 0 ≤ expert < numExperts=${E}`);
    pairSlot[p] = counts[e]++; // rank among the earlier pairs of expert e
  }
  const first = new Int32Array(E); // first block of each expert
  let blocks = 0;
  for (let e = 0; e < E; e++) {
    first[e] = blocks;
    const own = Math.ceil(counts[e]! / b);
    blockExpert.fill(e, Math.min(blocks, G), Math.min(blocks + own, G));
    blocks += own;
  }
  if (blocks > G) throw new Error(`${DISPATCH_PLAN}: the pairs need ${blocks} blocks of ${b} rows; groups=${G} is too few`);
  blockExpert.fill(E - 1, blocks, G);
  slotToken.fill(N);
  for (let p = 0; p < P; p++) {
    const t = token[p]!;
    if (!(t >= 0 && t < N)) throw new Error(`${DISPATCH_PLAN}: token[${p}]=${t}; allowed: 0 ≤ token < numTokens=${N}`);
    const slot = first[expert[p]!]! * b + pairSlot[p]!;
    pairSlot[p] = slot;
    slotToken[slot] = t;
  }
}

const dispatchPlan: KernelFunc = ({ inputs, backend, attrs }) => {
  const { expert, token } = inputs as { expert: TensorInfo; token: TensorInfo };
  const a = attrs as unknown as DispatchPlanAttrs;
  const P = expert.shape[0]!;
  if (expert.shape.length !== 1 || token.shape.length !== 1 || token.shape[0] !== P) throw new Error(`${DISPATCH_PLAN}: expert [${expert.shape}] and token [${token.shape}] must be (P,) and (P,)`);
  if (expert.dtype !== 'int32' || token.dtype !== 'int32') throw new Error(`${DISPATCH_PLAN}: expert and token must be int32 (got ${expert.dtype}, ${token.dtype})`);
  for (const k of ['numExperts', 'numTokens', 'blockSize', 'groups'] as const) {
    if (!(Number.isInteger(a[k]) && a[k] > 0)) throw new Error(`${DISPATCH_PLAN}: ${k}=${a[k]}; expected a positive integer`);
  }
  const specs = [[P], [a.groups * a.blockSize], [a.groups]].map((shape) => ({ shape, dtype: 'int32' as const }));
  return computeOutputs(DISPATCH_PLAN, backend, specs, [expert, token], ([pairSlot, slotToken, blockExpert], [e, t]) => fillDispatchPlan(e!, t!, a, pairSlot!, slotToken!, blockExpert!));
};

/** Weft's WeftDispatchPlan on `backendName` (cpu or wasm). */
export function dispatchPlanConfig(backendName: 'cpu' | 'wasm'): KernelConfig {
  return { kernelName: DISPATCH_PLAN, backendName, kernelFunc: dispatchPlan };
}
