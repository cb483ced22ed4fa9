// The vector-space candidates of one edge stored stacked (as stacked experts are): every
// parametric candidate is one slot of `weight` [S, C, C] and `bias` [S, C] (gated_linear takes
// two slots, value and gate), so an edge runs one batched matmul instead of one per candidate
// and the optimiser sees 2 variables per edge instead of 2 per candidate. The function is exactly
// that of the separate ops in ops.ts (ActLinear, GatedLinear, Activation, Identity, Zero); the stored
// parameters are exactly the sum of theirs.
import * as tf from '@tensorflow/tfjs-core';
import { Module, fanInUniform, type ForwardContext, type Rng } from '@weft/core';
import { ACTIVATIONS, NONE, activate, type ActivationName } from './ops.js';

type Act = 'linear' | ActivationName;
const ACT_OF: Record<string, Act> = { linear: 'linear', relu_linear: 'relu', tanh_linear: 'tanh', sigmoid_linear: 'sigmoid' };
/** Parameter-free activation ops: each activation is the op of the same name. */
const FREE: Record<string, Act> = Object.fromEntries(Object.keys(ACTIVATIONS).map((a) => [a, a as Act]));

/** The vector-space ops of one edge, stacked. */
export class StackedVectorOps extends Module {
  /** [S, C, C]: slot s maps act_s(x) to its output. */
  readonly weight: tf.Variable | null;
  /** [S, C]. */
  readonly bias: tf.Variable | null;
  /** Per op: its slots (empty for none/skip_connect). */
  readonly slotsOf: number[][];
  private readonly slotAct: Act[] = [];

  constructor(readonly ops: readonly string[], readonly channels: number, rng: Rng) {
    super();
    const C = channels;
    this.slotsOf = ops.map((o) => {
      if (o === NONE || o === 'skip_connect' || o in FREE) return [];
      if (o === 'gated_linear') {
        this.slotAct.push('linear', 'linear');
        return [this.slotAct.length - 2, this.slotAct.length - 1];
      }
      const act = ACT_OF[o];
      if (!act) throw new Error(`StackedVectorOps: op "${o}" has no stacked form; allowed: none, skip_connect, gated_linear, ${Object.keys(ACT_OF).join(', ')}`);
      this.slotAct.push(act);
      return [this.slotAct.length - 1];
    });
    const S = this.slotAct.length;
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

  /** Outputs of the ops in `which` (indices into ops, none excluded), stacked: (M, N, C) for x (N, C). */
  forwardOps(x: tf.Tensor, which: readonly number[], ctx?: ForwardContext): tf.Tensor {
    const C = this.channels;
    let out: tf.Tensor | null = null;
    const acts = new Map<Act, tf.Tensor>();
    const actOf = (a: Act) => {
      let t = acts.get(a);
      if (!t) {
        t = a === 'linear' ? x : activate(a, x, ctx);
        acts.set(a, t);
      }
      return t;
    };
    // Only the slots of the requested ops are computed (GDAS/SPOS run one op per edge).
    const slots = [...new Set(which.flatMap((i) => this.slotsOf[i]!))].sort((a, b) => a - b);
    const S = this.slotAct.length;
    const pos = new Map(slots.map((sl, k) => [sl, k]));
    if (this.weight && slots.length > 0) {
      const all = slots.length === S;
      const W = all ? this.weight : tf.gather(this.weight, tf.tensor1d(slots, 'int32')); // (M', C, C)
      const b = all ? this.bias! : tf.gather(this.bias!, tf.tensor1d(slots, 'int32')); // (M', C)
      const A = tf.stack(slots.map((sl) => actOf(this.slotAct[sl]!))); // (M', N, C)
      out = tf.add(tf.matMul(A, W), tf.reshape(b, [slots.length, 1, C])); // (M', N, C)
    }
    const N = x.shape[0]!;
    // Slot outputs by slicing (not tf.unstack: its gradient fails when a slot is unused).
    const Z = (sl: number) => tf.reshape(tf.slice(out!, [pos.get(sl)!, 0, 0], [1, N, C]), [N, C]); // (1, N, C) -> (N, C)
    const outs = which.map((i) => {
      const op = this.ops[i]!;
      if (op === 'skip_connect') return x;
      if (op in FREE) return actOf(FREE[op]!);
      if (op === 'gated_linear') {
        const [v, g] = this.slotsOf[i]!;
        return tf.mul(Z(v!), tf.sigmoid(Z(g!)));
      }
      if (op === NONE) throw new Error('StackedVectorOps: none is never computed');
      return Z(this.slotsOf[i]![0]!);
    });
    return tf.stack(outs); // (M, N, C)
  }

  forward(): never {
    throw new Error('StackedVectorOps: call forwardOps(x, which)');
  }
}
