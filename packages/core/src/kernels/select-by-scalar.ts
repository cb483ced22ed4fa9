// WeftSelectByScalar: `condition ? t : e` for a scalar bool condition, on cpu and wasm. tfjs's
// `where` broadcasts the condition to the operands' shape first (a Tile that tfjs wasm runs at
// ~3.6 ms for 256×256, 80× an add) and then selects element by element; with one condition the
// result is simply one of the two inputs, shared without a copy (as a Reshape shares its input).
// The trainer's non-finite guard runs WeftSelectAllByScalar, the same for every variable in one call.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** The kernel's name. */
export const SELECT_BY_SCALAR = 'WeftSelectByScalar';

interface MemoryBackend {
  readSync(dataId: object): ArrayLike<number>;
  incRef(dataId: object): void;
}

const selectByScalar: KernelFunc = ({ inputs, backend }) => {
  const { condition, t, e } = inputs as { condition: TensorInfo; t: TensorInfo; e: TensorInfo };
  if (condition.shape.length !== 0) throw new Error(`${SELECT_BY_SCALAR}: condition has shape [${condition.shape}]; expected a scalar`);
  if (t.dtype !== e.dtype || t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
    throw new Error(`${SELECT_BY_SCALAR}: t [${t.shape}] ${t.dtype} and e [${e.shape}] ${e.dtype} must have one shape and dtype`);
  }
  const b = backend as unknown as MemoryBackend;
  const chosen = b.readSync(condition.dataId)[0] ? t : e; // in memory on cpu and wasm: no GPU readback
  b.incRef(chosen.dataId);
  return { dataId: chosen.dataId, shape: chosen.shape, dtype: chosen.dtype };
};

/** Weft's WeftSelectByScalar on `backendName` (cpu or wasm: backends whose tensors live in memory). */
export function selectByScalarConfig(backendName: 'cpu' | 'wasm'): KernelConfig {
  return { kernelName: SELECT_BY_SCALAR, backendName, kernelFunc: selectByScalar };
}

/** The multi-tensor kernel's name: inputs condition, t{i}, e{i} (i < count); outputs [t0 or e0, t1 or e1, …]. */
export const SELECT_ALL_BY_SCALAR = 'WeftSelectAllByScalar';

const selectAllByScalar: KernelFunc = ({ inputs, backend, attrs }) => {
  const { count } = attrs as unknown as { count: number };
  const ins = inputs as Record<string, TensorInfo>;
  const pairs = Array.from({ length: count }, (_, i) => {
    const [t, e] = [ins[`t${i}`], ins[`e${i}`]];
    if (!t || !e) throw new Error(`${SELECT_ALL_BY_SCALAR}: inputs t${i} and e${i} are required (count=${count})`);
    return selectByScalar({ inputs: { condition: ins.condition!, t, e }, backend, attrs: {} }) as TensorInfo;
  });
  return pairs;
};

/** Weft's WeftSelectAllByScalar (one call for many pairs) on `backendName` (cpu or wasm). */
export function selectAllByScalarConfig(backendName: 'cpu' | 'wasm'): KernelConfig {
  return { kernelName: SELECT_ALL_BY_SCALAR, backendName, kernelFunc: selectAllByScalar };
}
