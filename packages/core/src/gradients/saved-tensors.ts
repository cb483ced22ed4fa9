// The tensors a gradient saves for the backward pass, kept without a kernel call. tfjs's engine
// saves each one (a kernel's inputsToSave/outputsToSave, customGrad's `save`) through its `clone`:
// an Identity kernel call with the engine's full dispatch (scopes, profiling, leak checks) plus a
// tape node linking the copy to the original. Every backend's Identity shares the data (Weft's wasm
// Identity too, kernels/identity.ts), so the copy is the same dataId counted once more. In a
// first-order pass (gradient depth 1: trainers, `minimize`, `tf.grad` not inside another) the tape
// node is never used: saved tensors are read only by gradient functions, which run after the tape
// stops recording. So there the copy is made directly (incRef + a tracked tensor, as the engine
// makes a kernel's output); in nested gradients (depth ≥ 2) the original clone runs, whose tape
// node carries second-order gradients through the saved tensors. A dropless MoE training step on
// moe.html's model saved 126 tensors per step, a 2-block TinyTransformer ~120.
import * as tf from '@tensorflow/tfjs-core';

interface BackendWithRef {
  incRef(dataId: object): void;
}
interface EngineInternals {
  state: { gradientDepth: number; tensorInfo: { get(dataId: object): { backend: unknown } | undefined } };
  backend: unknown;
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: tf.DataType }, backend?: unknown): tf.Tensor;
}

const patched = new WeakSet<object>();

/**
 * Make the engine's saved-tensor clones direct in first-order gradients (idempotent). Leaves the
 * engine alone if its internals are not the ones this was written for (tfjs 4.22).
 */
export function installDirectSavedTensors(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (patched.has(engine) || typeof engine.clone !== 'function' || typeof engine.makeTensorFromTensorInfo !== 'function' || typeof engine.state?.gradientDepth !== 'number') return;
  const original = engine.clone.bind(engine);
  engine.clone = (x: tf.Tensor): tf.Tensor => {
    if (engine.state.gradientDepth !== 1 || x.isDisposed) return original(x);
    const backend = engine.state.tensorInfo.get(x.dataId)?.backend as Partial<BackendWithRef> | undefined;
    if (!backend || backend !== engine.backend || typeof backend.incRef !== 'function') return original(x);
    backend.incRef(x.dataId);
    return engine.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype }, backend);
  };
  patched.add(engine);
}
