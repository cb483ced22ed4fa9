// MPOE — Gao et al., "Parameter-Efficient Mixture-of-Experts Architecture for Pre-trained Language
// Models", arXiv:2203.01104. Each expert's matrix W_e (I × J) is a matrix product operator of three
// cores, I = a1·a2·a3, J = b1·b2·b3:
//   W_e[(a1 a2 a3), (b1 b2 b3)] = Σ_{r,s} L_e[a1, b1, r] · C[r, a2, b2, s] · R_e[s, a3, b3],
// the central core C shared by every expert (the bulk of the parameters) and the small auxiliary
// cores L_e, R_e per expert. Experts are GELU FFNs d → h → d (both matrices MPO, biases per expert),
// rebuilt as stacked [E, I, J] weights each forward and run through the MoE's sparse dispatch.
// Departs from the paper: trained from scratch (no MPO decomposition of a pre-trained FFN, so no
// gradient mask for the central core); three cores, not five.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, configKeys, defaultRng, fanInUniform, ForwardContext, gelu, Module, type Rng } from '@weft/core';
import { checkPositiveInt } from '@weft/core/internal';
import { sparseCombine, type ExpertBlocks } from './dispatch.js';
import { capacityOf, MOE_CONFIG_KEYS, planDispatch, reportRouting, resolveMoEConfig, routerShapeOf, type MoEConfig, type ResolvedMoEConfig } from './moe.js';
import { makeRouter, routerActiveShare, type Router } from './routers/index.js';

/** Three factors of a width (their product is the width). */
export type Factors3 = [number, number, number];

/** The cores of one MPO matrix over E experts: L [E, a1, b1, r], C [r, a2, b2, s] (shared), R [E, s, a3, b3]. */
function mpoMatrix(e: number, a: Factors3, b: Factors3, bond: number, rng: Rng): { left: tf.Tensor; central: tf.Tensor; right: tf.Tensor } {
  const I = a[0] * a[1] * a[2];
  // W sums r·s products of three cores: core entries U(−u, u) with u = √3·(3·I·r·s)^(−1/6) give Var(W) = 1/(3I), a fan-in uniform's.
  const u = Math.sqrt(3) * Math.pow(3 * I * bond * bond, -1 / 6);
  const core = (shape: number[]) => tf.tidy(() => tf.mul(fanInUniform(shape, 1, rng), u)); // U(−1, 1)·u
  return { left: core([e, a[0], b[0], bond]), central: core([bond, a[1], b[1], bond]), right: core([e, bond, a[2], b[2]]) };
}

/** W [E, I, J] from the cores (see the file header). */
export function mpoWeights(left: tf.Tensor, central: tf.Tensor, right: tf.Tensor): tf.Tensor3D {
  const [e, a1, b1, r] = left.shape as number[] as [number, number, number, number];
  const [, a2, b2, s] = central.shape as [number, number, number, number];
  const [, , a3, b3] = right.shape as [number, number, number, number];
  const lc = tf.matMul(tf.reshape(left, [e * a1 * b1, r]), tf.reshape(central, [r, a2 * b2 * s])); // (E·a1·b1, a2·b2·s)
  const lcr = tf.matMul(tf.reshape(lc, [e, a1 * b1 * a2 * b2, s]), tf.reshape(right, [e, s, a3 * b3])); // (E, a1·b1·a2·b2, a3·b3)
  const six = tf.reshape(lcr, [e * a1, b1, a2, b2, a3, b3]); // (E, a1, b1, a2, b2, a3, b3) with E·a1 merged
  return tf.reshape(tf.transpose(six, [0, 2, 4, 1, 3, 5]), [e, a1 * a2 * a3, b1 * b2 * b3]); // -> (E·a1, a2, a3, b1, b2, b3) -> (E, I, J)
}

/** Config of {@link MPOEMoE}: an {@link MoEConfig} ('ffn' experts) plus the MPO shape. */
export interface MPOEConfig extends MoEConfig {
  /** Factors of dim (a1, a2, a3). */
  dimFactors: Factors3;
  /** Factors of hidden (b1, b2, b3). */
  hiddenFactors: Factors3;
  /** Bond dimension r = s between the cores. Default: 4. */
  bond?: number;
}

/** E GELU FFN experts whose two matrices are MPOs sharing their central cores. */
export class MPOExperts extends Module implements ExpertBlocks {
  private readonly p: Record<string, tf.Variable> = {};
  constructor(readonly config: { dim: number; numExperts: number; hidden: number; dimFactors: Factors3; hiddenFactors: Factors3; bond: number }, rng: Rng = defaultRng()) {
    super();
    const { numExperts: e, dim: d, hidden: h, dimFactors: a, hiddenFactors: b, bond } = config;
    const add = (name: string, t: tf.Tensor) => (this.p[name] = this.addParameter(name, t));
    const m1 = mpoMatrix(e, a, b, bond, rng);
    const m2 = mpoMatrix(e, b, a, bond, rng);
    add('left1', m1.left);
    add('central1', m1.central);
    add('right1', m1.right);
    add('b1', fanInUniform([e, h], d, rng));
    add('left2', m2.left);
    add('central2', m2.central);
    add('right2', m2.right);
    add('b2', fanInUniform([e, d], h, rng));
  }

  /** Stored per expert: its auxiliary cores and biases; the central cores are every token's. */
  override activeShareOf(name: string): number {
    return name.startsWith('central') ? 1 : this.share;
  }
  /** Share of the experts one token uses (set by the layer from its router). */
  share = 1;

  /** The rebuilt stacked weights W1 [E, d, h] and W2 [E, h, d]. */
  weights(): { w1: tf.Tensor3D; w2: tf.Tensor3D } {
    const P = this.p;
    return { w1: mpoWeights(P.left1!, P.central1!, P.right1!), w2: mpoWeights(P.left2!, P.central2!, P.right2!) };
  }

  /** buf (G, b, d) -> (G, b, d), block g through expert blockExpert[g] (or g). */
  apply(buf: tf.Tensor3D, blockExpert: tf.Tensor1D | null): tf.Tensor3D {
    const { w1, w2 } = this.weights();
    const pick = (w: tf.Tensor) => (blockExpert ? tf.gather(w, blockExpert) : w);
    const bias = (t: tf.Tensor) => tf.expandDims(pick(t), 1); // (G, out) -> (G, 1, out)
    const hid = gelu(tf.add(tf.matMul(buf, pick(w1) as tf.Tensor3D), bias(this.p.b1!)));
    return tf.add(tf.matMul(hid as tf.Tensor3D, pick(w2) as tf.Tensor3D), bias(this.p.b2!)) as tf.Tensor3D;
  }

  /** Run through {@link apply}. */
  forward(): tf.Tensor {
    throw new Error('MPOExperts: use apply(buffer, blockExpert)');
  }
}

/** An MoE layer whose experts are MPOs sharing their central cores (MPOE). */
export class MPOEMoE extends Module {
  /** The resolved MoE config. */
  readonly cfg: ResolvedMoEConfig;
  readonly router: Router;
  readonly experts: MPOExperts;
  constructor(config: MPOEConfig, rng: Rng = defaultRng()) {
    super();
    const who = 'MPOEMoE';
    checkKnownKeys(who, config, [...MOE_CONFIG_KEYS, 'dimFactors', 'hiddenFactors', 'bond']);
    const { dimFactors, hiddenFactors, bond = 4, ...moe } = config;
    const c = (this.cfg = resolveMoEConfig(moe, who, MOE_CONFIG_KEYS));
    if (c.expert !== 'ffn' || c.sharedExperts > 0) throw new Error(`${who}: MPO experts are 'ffn' experts without shared experts (got expert='${c.expert}', sharedExperts=${c.sharedExperts})`);
    const factors = (name: string, f: unknown, width: number): Factors3 => {
      if (!Array.isArray(f) || f.length !== 3 || f.some((v) => !Number.isInteger(v) || v < 1) || f[0] * f[1] * f[2] !== width) {
        throw new Error(`${who}: ${name}=${JSON.stringify(f)} must be three positive integers whose product is ${width}`);
      }
      return f as Factors3;
    };
    this.router = this.addModule('router', makeRouter(c.router, c.routerConfig, routerShapeOf(c), rng));
    this.experts = this.addModule('experts', new MPOExperts({ dim: c.dim, numExperts: c.numExperts, hidden: c.hidden, dimFactors: factors('dimFactors', dimFactors, c.dim), hiddenFactors: factors('hiddenFactors', hiddenFactors, c.hidden), bond: checkPositiveInt(who, 'bond', bond) }, rng));
    this.experts.share = routerActiveShare(c.router, c.routerConfig, routerShapeOf(c));
  }

  /** (..., d) -> (..., d). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const c = this.cfg;
    if (x.shape[x.rank - 1] !== c.dim) throw new Error(`MPOEMoE: input last dimension ${x.shape[x.rank - 1]} (shape [${x.shape}]) must equal dim=${c.dim}`);
    const flat = tf.reshape(x, [-1, c.dim]) as tf.Tensor2D; // (..., d) -> (N, d)
    const n = flat.shape[0];
    if (n === 0) return tf.clone(x);
    const routing = this.router.forward(flat, ctx);
    const plan = planDispatch(c, routing, n, capacityOf(c, n, ctx.training));
    const y = sparseCombine(flat, routing, plan, this.experts);
    reportRouting(c, routing, plan, n, ctx, undefined, x.rank >= 3 ? x.shape[x.rank - 2] : n, this);
    return tf.reshape(y, x.shape); // (N, d) -> (..., d)
  }
}
