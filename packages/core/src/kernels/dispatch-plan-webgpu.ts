// WeftDispatchPlan (dispatch-plan.ts: a dropless MoE's block plan) on tfjs webgpu: one WGSL
// invocation writes the three plans packed in one buffer, [pairSlot (P) | slotToken (G·b) |
// blockExpert (G) | E counters of scratch], then three Slices cut them out: 4 dispatches where the
// tfjs-op composition is ~40. The plan is a running count per expert, so it runs in one thread: O(P +
// G·b + E) steps, ~µs for the few hundred pairs of a browser-sized MoE; above
// WEBGPU_DISPATCH_PLAN_MAX_PAIRS (ops/dispatch-plan.ts) @weft/moe composes the plan from parallel ops. A shader cannot throw: an expert outside [0, E) counts as
// the nearest valid one and a token outside [0, N) is written as given (cpu and wasm refuse both).
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { DISPATCH_PLAN, type DispatchPlanAttrs } from './dispatch-plan.js';
import { runBackendKernel } from './io.js';
import { isWebGPU, type WebGPUProgramLike } from './webgpu-program.js';

const ints = (...v: number[]) => v.map((d) => ({ type: 'int32', data: [d] }));

function planProgram(size: number): WebGPUProgramLike {
  return {
    outputShape: [size],
    shaderKey: 'weft_dispatch_plan',
    dispatchLayout: { x: [0] },
    dispatch: [1, 1, 1],
    variableNames: ['expert', 'token'],
    uniforms: 'P : i32, E : i32, N : i32, B : i32, G : i32,',
    workgroupSize: [1, 1, 1],
    size: false,
    getUserCode: () => `
      fn expertOf(p : i32) -> i32 { return clamp(expert[p], 0, uniforms.E - 1); }
      fn main(index : i32) {
        if (index != 0) { return; }
        let P = uniforms.P;
        let B = uniforms.B;
        let G = uniforms.G;
        let rows = G * B;
        let be = P + rows;       // blockExpert's offset
        let scratch = be + G;    // E counters
        for (var e = 0; e < uniforms.E; e = e + 1) { result[scratch + e] = 0; }
        for (var p = 0; p < P; p = p + 1) {
          let e = expertOf(p);
          result[p] = result[scratch + e]; // rank among the earlier pairs of expert e
          result[scratch + e] = result[scratch + e] + 1;
        }
        var blocks = 0;
        for (var e = 0; e < uniforms.E; e = e + 1) {
          let own = (result[scratch + e] + B - 1) / B;
          for (var g = blocks; g < min(blocks + own, G); g = g + 1) { result[be + g] = e; }
          result[scratch + e] = blocks; // now: the expert's first block
          blocks = blocks + own;
        }
        for (var g = blocks; g < G; g = g + 1) { result[be + g] = uniforms.E - 1; }
        for (var s = 0; s < rows; s = s + 1) { result[P + s] = uniforms.N; }
        for (var p = 0; p < P; p = p + 1) {
          let slot = result[scratch + expertOf(p)] * B + result[p];
          result[p] = slot;
          if (slot < rows) { result[P + slot] = token[p]; }
        }
      }`,
  };
}

const dispatchPlan: KernelFunc = ({ inputs, backend, attrs }) => {
  const { expert, token } = inputs as { expert: TensorInfo; token: TensorInfo };
  const { numExperts: E, numTokens: N, blockSize: B, groups: G } = attrs as unknown as DispatchPlanAttrs;
  if (!isWebGPU(backend)) throw new Error(`${DISPATCH_PLAN}: the backend is not tfjs webgpu; this kernel is registered only there`);
  const P = expert.shape[0]!;
  if (expert.shape.length !== 1 || token.shape.length !== 1 || token.shape[0] !== P) throw new Error(`${DISPATCH_PLAN}: expert [${expert.shape}] and token [${token.shape}] must be (P,) and (P,)`);
  if (expert.dtype !== 'int32' || token.dtype !== 'int32') throw new Error(`${DISPATCH_PLAN}: expert and token must be int32 (got ${expert.dtype}, ${token.dtype})`);
  for (const [k, v] of Object.entries({ numExperts: E, numTokens: N, blockSize: B, groups: G })) {
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`${DISPATCH_PLAN}: ${k}=${v}; expected a positive integer`);
  }
  const packed = backend.runWebGPUProgram(planProgram(P + G * B + G + E), [expert, token], 'int32', ints(P, E, N, B, G));
  try {
    return [
      [0, P],
      [P, G * B],
      [P + G * B, G],
    ].map(([begin, size]) => runBackendKernel('Slice', 'webgpu', backend, { x: packed }, { begin: [begin!], size: [size!] }));
  } finally {
    backend.disposeData(packed.dataId);
  }
};

/** Weft's WeftDispatchPlan as a WGSL program on tfjs webgpu. */
export const dispatchPlanWebGPUConfig: KernelConfig = { kernelName: DISPATCH_PLAN, backendName: 'webgpu', kernelFunc: dispatchPlan };
