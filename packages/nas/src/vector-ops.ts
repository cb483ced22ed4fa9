// The vector space's candidate ops (MLP/sequence cells on (..., C) features, so search runs fast on
// cpu): none = zero, skip_connect = identity, linear, gated linear, ReLU/tanh/sigmoid + linear, and
// parameter-free ReLU/tanh/sigmoid/sin(πx)/cos(πx). A vector op is written once, as a
// `StackedForm`: Linear C→C slots, each mapping x or an activation of x, and a parameter-free rule
// that makes the op's output from them. That one definition gives both forms a search needs:
// - `VectorOp`, the op as its own module (discrete networks, createOp);
// - `StackedVectorOps`, every candidate of one edge stored stacked (as stacked experts are): each
//   slot is one row of `weight` [S, C, C] and `bias` [S, C], so an edge runs one batched matmul
//   instead of one per candidate and the optimiser sees 2 variables per edge instead of 2 per
//   candidate. Its function is exactly that of the separate VectorOps and its stored parameters
//   exactly the sum of theirs.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, fanInUniform, type ForwardContext, type Rng } from '@weft/core';
import { recordReluCodes } from './codes.js';

/**
 * The elementwise functions of the vector space's activation ops. `sin_pi` and `cos_pi` are
 * sin(πx) and cos(πx): periodic with one period per two units of their batch-normalised input,
 * so the period lies inside the input's spread. On a unit-variance input, the best
 * a + b·x + c·relu(x) + d·tanh(x) leaves 1% of the variance of sin(x) and 4% of cos(x) unexplained,
 * but 83% of sin(πx) and 90% of cos(πx).
 */
export const ACTIVATIONS = {
  relu: (x: tf.Tensor) => tf.relu(x),
  tanh: (x: tf.Tensor) => tf.tanh(x),
  sigmoid: (x: tf.Tensor) => tf.sigmoid(x),
  sin_pi: (x: tf.Tensor) => tf.sin(tf.mul(x, Math.PI)),
  cos_pi: (x: tf.Tensor) => tf.cos(tf.mul(x, Math.PI)),
};
/** An activation's name. */
export type ActivationName = keyof typeof ACTIVATIONS;

/** `act(x)`, recording ReLU codes for NASWOT when `act` is relu. */
export function activate(act: ActivationName, x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
  if (act === 'relu') recordReluCodes(ctx, x);
  return ACTIVATIONS[act](x);
}

/** What a vector op reads: x itself ('identity') or one of {@link ACTIVATIONS} of x. */
export type SlotInput = 'identity' | ActivationName;

/** One Linear C→C of a vector op. */
export interface LinearSlot {
  /** The Linear's child name in the op's own module (e.g. 'fc', 'value'). */
  name: string;
  /** What it maps. */
  input: SlotInput;
}

/**
 * A vector op as Linear slots plus a parameter-free output rule (see the file comment). `read(i)`
 * gives x ('identity') or an activation of x, each computed once per edge and shared by the edge's
 * ops; `slots` are the op's slot outputs (N, C), in the order of `slots`.
 */
export interface StackedForm {
  /** The op's Linears, in order (empty for a parameter-free op). */
  slots: readonly LinearSlot[];
  /** The op's output (N, C). */
  output(read: (input: SlotInput) => tf.Tensor, slots: readonly tf.Tensor[]): tf.Tensor;
}

/** A reader of x and its activations that computes each once. */
function reader(x: tf.Tensor, ctx?: ForwardContext): (input: SlotInput) => tf.Tensor {
  const cache = new Map<SlotInput, tf.Tensor>();
  return (input) => {
    let t = cache.get(input);
    if (!t) {
      if (input !== 'identity' && !Object.hasOwn(ACTIVATIONS, input)) throw new Error(`vector op: input "${String(input)}" is not one of identity, ${Object.keys(ACTIVATIONS).join(', ')}`);
      t = input === 'identity' ? x : activate(input, x, ctx);
      cache.set(input, t);
    }
    return t;
  };
}

/** A vector op as its own module: one Linear C→C per slot, named as the slot. */
export class VectorOp extends Module {
  /** The slots' Linears, in slot order. */
  readonly linears: Linear[];
  constructor(readonly form: StackedForm, readonly channels: number, rng: Rng) {
    super();
    this.linears = form.slots.map((s) => this.addModule(s.name, new Linear({ inFeatures: channels, outFeatures: channels }, rng)));
  }
  /** (..., C) -> (..., C). */
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    const read = reader(x, ctx);
    return this.form.output(read, this.form.slots.map((s, i) => this.linears[i]!.forward(read(s.input), ctx)));
  }
}

/** The vector-space ops of one edge, stacked. */
export class StackedVectorOps extends Module {
  /** [S, C, C]: slot s maps its input to its output. */
  readonly weight: tf.Variable | null;
  /** [S, C]. */
  readonly bias: tf.Variable | null;
  /** Per op: its slots (rows of weight and bias). */
  readonly slotsOf: number[][];
  private readonly slotInput: SlotInput[] = [];

  constructor(readonly forms: readonly StackedForm[], readonly channels: number, rng: Rng) {
    super();
    const C = channels;
    this.slotsOf = forms.map((f) => f.slots.map((s) => this.slotInput.push(s.input) - 1));
    const S = this.slotInput.length;
    // Same init as Linear (fanIn = C), drawn slot by slot (weight then bias) like separate ops.
    const ws: tf.Tensor[] = [];
    const bs: tf.Tensor[] = [];
    for (let s = 0; s < S; s++) {
      ws.push(fanInUniform([C, C], C, rng));
      bs.push(fanInUniform([C], C, rng));
    }
    this.weight = S ? this.addParameter('weight', tf.stack(ws)) : null;
    this.bias = S ? this.addParameter('bias', tf.stack(bs)) : null;
    tf.dispose([...ws, ...bs]);
  }

  /** Outputs of the ops in `which` (indices into forms), stacked: (M, N, C) for x (N, C). */
  forwardOps(x: tf.Tensor, which: readonly number[], ctx?: ForwardContext): tf.Tensor {
    const C = this.channels;
    const N = x.shape[0]!;
    const read = reader(x, ctx);
    // Only the slots of the requested ops are computed (GDAS/SPOS run one op per edge).
    const slots = [...new Set(which.flatMap((i) => this.slotsOf[i]!))].sort((a, b) => a - b);
    const pos = new Map(slots.map((sl, k) => [sl, k]));
    let out: tf.Tensor | null = null;
    if (this.weight && slots.length > 0) {
      const all = slots.length === this.slotInput.length;
      const W = all ? this.weight : tf.gather(this.weight, tf.tensor1d(slots, 'int32')); // (M', C, C)
      const b = all ? this.bias! : tf.gather(this.bias!, tf.tensor1d(slots, 'int32')); // (M', C)
      const A = tf.stack(slots.map((sl) => read(this.slotInput[sl]!))); // (M', N, C)
      out = tf.add(tf.matMul(A, W), tf.reshape(b, [slots.length, 1, C])); // (M', N, C)
    }
    // Slot outputs by slicing (not tf.unstack: its gradient fails when a slot is unused).
    const Z = (sl: number) => tf.reshape(tf.slice(out!, [pos.get(sl)!, 0, 0], [1, N, C]), [N, C]); // (1, N, C) -> (N, C)
    return tf.stack(which.map((i) => this.forms[i]!.output(read, this.slotsOf[i]!.map(Z)))); // (M, N, C)
  }

  forward(): never {
    throw new Error('StackedVectorOps: call forwardOps(x, which)');
  }
}
