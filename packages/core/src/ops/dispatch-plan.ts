// A dropless MoE's block plan as one kernel on cpu, wasm and webgpu (kernels/dispatch-plan*.ts). @weft/moe's
// dispatch composes the same plan from tfjs ops on the other backends (webgl).
import * as tf from '@tensorflow/tfjs-core';
import { DISPATCH_PLAN, type DispatchPlanAttrs } from '../kernels/dispatch-plan.js';
import { activeBackendHas } from '../kernels/index.js';

/** A dropless plan's integer tensors (see {@link droplessBlockPlan}). */
export interface BlockPlan {
  /** Buffer row of each pair (P,) int32. */
  pairSlot: tf.Tensor1D;
  /** Token of each buffer row (G·b,) int32, N for an empty row. */
  slotToken: tf.Tensor1D;
  /** Expert of each block (G,) int32; unused tail blocks name the last expert. */
  blockExpert: tf.Tensor1D;
}

/**
 * Most pairs the webgpu kernel takes: it runs in one GPU thread (its steps depend on each other), about
 * 3P dependent memory accesses, so beyond a few thousand pairs the ~40 parallel dispatches of the
 * composition are estimated to win on a real GPU (not measured: no GPU here; SwiftShader is a CPU).
 */
export const WEBGPU_DISPATCH_PLAN_MAX_PAIRS = 2048;

/** Whether the active backend runs {@link droplessBlockPlan} as one kernel for `pairs` pairs (cpu, wasm; webgpu up to {@link WEBGPU_DISPATCH_PLAN_MAX_PAIRS}). */
export function hasDispatchPlanKernel(pairs = 0): boolean {
  return activeBackendHas(DISPATCH_PLAN) && (tf.getBackend() !== 'webgpu' || pairs <= WEBGPU_DISPATCH_PLAN_MAX_PAIRS);
}

/**
 * The dropless plan of P (token, expert) pairs in blocks of b rows (MegaBlocks-style): each expert
 * owns ⌈count/b⌉ consecutive blocks, in expert order; a pair takes its expert's first block · b + its
 * rank among that expert's earlier pairs. expert (P,) int32 in [0, numExperts), token (P,) int32 in
 * [0, numTokens) (cpu and wasm refuse others; see the webgpu kernel for what it does with them);
 * `groups` must be at least Σ_e ⌈count_e/b⌉ (⌊(P + E(b−1))/b⌋ always is). One kernel (webgpu: one
 * dispatch and three slices); throws where the backend has none ({@link hasDispatchPlanKernel}).
 */
export function droplessBlockPlan(expert: tf.Tensor1D, token: tf.Tensor1D, attrs: DispatchPlanAttrs): BlockPlan {
  if (!activeBackendHas(DISPATCH_PLAN)) throw new Error(`droplessBlockPlan: backend ${tf.getBackend()} has no ${DISPATCH_PLAN} kernel; Weft registers it on cpu, wasm and webgpu`);
  const [pairSlot, slotToken, blockExpert] = tf.engine().runKernel(DISPATCH_PLAN, { expert, token }, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor1D[];
  return { pairSlot: pairSlot!, slotToken: slotToken!, blockExpert: blockExpert! };
}
