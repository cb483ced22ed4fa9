// Sum, Mean, Max and Min over a few elements on tfjs webgpu. tfjs's reduce runs one workgroup of 64
// threads per output element (after transposing the reduced axes last), built for long reductions;
// over a short axis most threads idle at barriers. MoE steps are full of such reductions — summing a
// token's k expert outputs ((2, 512, 64) over axis 0), bias gradients over a block's rows, softmax's
// max over 16 experts — and on SwiftShader they took more time than the experts: one
// (2, 512, 64) -> (512, 64) sum 657 ms, (79, 16, 256) -> (79, 256) 490 ms. This wraps those
// kernels: a reduction over consecutive axes of at most MAX_SHORT elements — or of at most MAX_LOOP
// when there are at least MIN_OUTPUTS outputs to keep the GPU busy — runs as one thread per output
// that loops over its elements in place (no transpose); anything else goes to tfjs's kernel.
import { Max, Mean, Min, Sum, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** Longest reduction (elements per output) always run by the short-reduce program. */
export const MAX_SHORT = 64;
/** Longest reduction run by it when there are at least MIN_OUTPUTS outputs. */
export const MAX_LOOP = 1024;
export const MIN_OUTPUTS = 1024;

type ReduceType = 'sum' | 'mean' | 'max' | 'min';

/** The part of tfjs-backend-webgpu's backend and program interface this uses. */
interface WebGPUProgramLike {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms: string;
  workgroupSize: [number, number, number];
  size: boolean;
  getUserCode(): string;
}
interface WebGPUBackendLike {
  runWebGPUProgram(program: WebGPUProgramLike, inputs: TensorInfo[], dtype: string, uniforms: Array<{ type: string; data: number[] }>): TensorInfo;
}

const WORKGROUP = 64;

/** One thread per output: x viewed as (outer, reduceSize, inner), the output as (outer, inner). */
function shortReduceProgram(type: ReduceType, outputShape: number[]): WebGPUProgramLike {
  const size = util.sizeFromShape(outputShape);
  const step =
    type === 'sum' || type === 'mean'
      ? 'best = best + c;'
      : `if (isnan(c)) { best = c; } else if (!isnan(best) && c ${type === 'max' ? '>' : '<'} best) { best = c; }`;
  return {
    outputShape,
    shaderKey: `weft_short_reduce_${type}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WORKGROUP), 1, 1],
    variableNames: ['x'],
    uniforms: 'reduceSize : i32, innerSize : i32,',
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let outer = index / uniforms.innerSize;
          let inner = index - outer * uniforms.innerSize;
          let base = outer * uniforms.reduceSize * uniforms.innerSize + inner;
          var best = ${type === 'sum' || type === 'mean' ? '0.0' : 'f32(x[base])'};
          for (var r = 0; r < uniforms.reduceSize; r = r + 1) {
            let c = f32(x[base + r * uniforms.innerSize]);
            ${step}
          }
          setOutputAtIndex(index, ${type === 'mean' ? 'best / f32(uniforms.reduceSize)' : 'best'});
        }
      }`,
  };
}

/** Wrap tfjs webgpu's reduce kernel `inner` of `type`. */
function shortReduce(inner: KernelFunc, type: ReduceType): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    // Max names its axes `reductionIndices`; Sum, Mean and Min `axis`.
    const attrs = args.attrs as unknown as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims: boolean };
    const axis = attrs.axis ?? attrs.reductionIndices ?? null;
    const keepDims = attrs.keepDims;
    const backend = args.backend as unknown as Partial<WebGPUBackendLike>;
    if (x.dtype !== 'float32' || typeof backend.runWebGPUProgram !== 'function' || x.shape.length === 0 || axis === null) return inner(args);
    const axes = [...util.parseAxisParam(axis, x.shape)].sort((a, b) => a - b);
    if (axes.length === 0 || axes.some((a, i) => i > 0 && a !== axes[i - 1]! + 1)) return inner(args); // not consecutive
    const first = axes[0]!;
    const last = axes[axes.length - 1]!;
    const reduceSize = util.sizeFromShape(x.shape.slice(first, last + 1));
    const innerSize = util.sizeFromShape(x.shape.slice(last + 1));
    const outputShape = keepDims ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : x.shape.filter((_, i) => i < first || i > last);
    const outputs = util.sizeFromShape(outputShape);
    const short = reduceSize <= MAX_SHORT || (reduceSize <= MAX_LOOP && outputs >= MIN_OUTPUTS);
    if (!short || reduceSize === 0 || outputShape.length === 0 || outputs === 0) return inner(args);
    return backend.runWebGPUProgram(shortReduceProgram(type, outputShape), [x], 'float32', [
      { type: 'int32', data: [reduceSize] },
      { type: 'int32', data: [innerSize] },
    ]);
  };
}

const TYPES: Array<[string, ReduceType]> = [
  [Sum, 'sum'],
  [Mean, 'mean'],
  [Max, 'max'],
  [Min, 'min'],
];

/** Weft's short-reduce wrappers of tfjs webgpu's Sum, Mean, Max and Min (`original` looks one up). */
export function shortReduceWebGPUConfigs(original: (name: string) => KernelConfig | undefined): KernelConfig[] {
  return TYPES.flatMap(([name, type]) => {
    const o = original(name);
    return o ? [{ ...o, kernelName: name, backendName: 'webgpu', kernelFunc: shortReduce(o.kernelFunc, type) }] : [];
  });
}
