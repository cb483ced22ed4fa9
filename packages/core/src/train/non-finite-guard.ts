// The trainer's guard against non-finite steps, on the device and without a readback (as PyTorch's
// GradScaler does with a fused optimizer): a step whose loss or gradients hold a NaN or ±Inf is
// skipped — every variable its update assigned, optimizer state included, gets its old value
// back: on cpu and wasm by reading the verdict in memory (nothing to do for a finite step); on the
// GPU backends through a select on the device (ops/select-by-scalar.ts).
import * as tf from '@tensorflow/tfjs-core';
import { ALL_FINITE } from '../kernels/all-finite.js';
import { SELECT_ALL_BY_SCALAR } from '../kernels/select-by-scalar.js';
import { selectAllByScalar } from '../ops/select-by-scalar.js';

/**
 * A bool scalar, true when every tensor is finite. On cpu and wasm one WeftAllFinite kernel checks
 * every element; elsewhere the sum of each (one read of its values, no copy), then the sum of those:
 * a NaN or ±Inf anywhere makes it non-finite; so would sums beyond float32's range (3.4e38), which a
 * training step reaches only when it diverges anyway.
 */
export function allFinite(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (tensors.length === 0) return tf.scalar(true, 'bool');
    if (tf.getKernel(ALL_FINITE, tf.getBackend())) {
      return tf.engine().runKernel(ALL_FINITE, Object.fromEntries(tensors.map((t, i) => [`t${i}`, t])), { count: tensors.length }) as tf.Scalar;
    }
    // int32 and bool are always finite (and their sums would not stack with float sums); so are empty
    // tensors (tfjs webgl cannot sum one).
    const floats = tensors.filter((t) => t.dtype === 'float32' && t.size > 0);
    if (floats.length === 0) return tf.scalar(true, 'bool');
    const sums = floats.map((t) => tf.sum(t)); // one scalar each
    return tf.isFinite(sums.length === 1 ? sums[0]! : tf.sum(tf.stack(sums))) as tf.Scalar;
  });
}

/**
 * Whether `v`'s data lives on the current backend. A page or test that switched backends keeps the
 * variables it made before on the old one; the guard must not touch those (the new backend does not
 * know their data).
 */
function onCurrentBackend(v: tf.Variable): boolean {
  const engine = tf.engine() as unknown as { backend: unknown; state: { tensorInfo: WeakMap<object, { backend: unknown }> } };
  return !v.isDisposed && engine.state.tensorInfo.get(v.dataId)?.backend === engine.backend;
}

/**
 * A tensor sharing `v`'s current data (no copy, no kernel; what a backend's Reshape does): it keeps
 * that data alive after `v.assign`.
 */
function holdData(v: tf.Variable): tf.Tensor {
  const engine = tf.engine();
  engine.backend.incRef(v.dataId);
  return engine.makeTensorFromDataId(v.dataId, v.shape, v.dtype);
}

/**
 * The verdict where it is in memory (cpu, wasm: the backends with Weft's select kernels), read as
 * those kernels read it — no GPU readback, no kernel; null on the GPU backends, which select on the
 * device. A finite step (the usual case) then costs the guard nothing but its holds: a select and 2
 * assigns per variable were ~4% of a 64-256-256-10 MLP step on wasm.
 */
function verdictInMemory(finite: tf.Scalar): boolean | null {
  if (!tf.getKernel(SELECT_ALL_BY_SCALAR, tf.getBackend())) return null;
  const backend = tf.engine().backend as unknown as { readSync(dataId: object): ArrayLike<number> };
  return backend.readSync(finite.dataId)[0] !== 0;
}

/**
 * Puts variables back after a step that was not finite. The variables it watches are those the
 * first guarded step assigned (found by comparing each registered variable's data before and
 * after), so optimizer state is included whatever the optimizer.
 */
export class NonFiniteGuard {
  private watched: tf.Variable[] | null = null;

  /**
   * Run `step`, which may assign variables and returns a bool scalar `finite` (computed from
   * tensors made before or during the step). Where `finite` is false, every watched variable the
   * step assigned gets its value from before the step. Returns what `step` returned. Call inside
   * a tidy.
   */
  run<T extends { finite: tf.Scalar }>(step: () => T): T {
    // A watched variable was disposed (a layer grew and replaced it, as TokenFormer's): look again.
    if (this.watched?.some((v) => v.isDisposed)) this.watched = null;
    const candidates = this.watched ?? Object.values(tf.engine().registeredVariables).filter(onCurrentBackend);
    const before = candidates.map((v) => ({ v, dataId: v.dataId, hold: holdData(v) }));
    try {
      const out = step();
      const changed = before.filter((b) => !b.v.isDisposed && b.v.dataId !== b.dataId);
      const verdict = verdictInMemory(out.finite);
      if (verdict === null) {
        const kept = selectAllByScalar(out.finite, changed.map((b) => b.v as tf.Tensor), changed.map((b) => b.hold));
        changed.forEach(({ v }, i) => v.assign(kept[i]!));
      } else if (!verdict) {
        changed.forEach(({ v, hold }) => v.assign(hold));
      }
      if (!this.watched) {
        // Variables the step created (an optimizer's slots) are watched from the next step on.
        const known = new Set(candidates);
        const created = Object.values(tf.engine().registeredVariables).filter((v) => !known.has(v) && onCurrentBackend(v));
        this.watched = [...changed.map((b) => b.v), ...created];
      }
      return out;
    } finally {
      for (const { hold } of before) hold.dispose();
    }
  }

  /** The variables assigned by the first guarded step (after it ran). */
  watchedVariables(): readonly tf.Variable[] {
    return this.watched ?? [];
  }
}

/**
 * Forget a gradient tape that a throwing loss or forward left behind. tfjs's `gradients` restores
 * its depth counter on a throw but keeps the tape, whose saved tensors then leak (14 per failed
 * run of a small model). Call after a throw from inside `variableGrads`/`minimize`.
 */
export function discardAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number; activeTape: Array<{ saved?: tf.Tensor[] }> | null } }).state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}
