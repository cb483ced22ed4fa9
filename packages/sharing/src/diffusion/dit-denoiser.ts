// DiT-Air: Revisiting the Efficiency of Diffusion Model Architecture Design in Text to Image
// Generation (arXiv:2503.10618), at toy scale: a DDPM ε-predicting denoiser for 2-D points built from
// DiT blocks with adaLN-Zero conditioning on the timestep, whose block weights follow a sharing plan
// (DiT-Air's layer-wise sharing: 'all-shared' = one block in every layer) while each layer keeps its
// own adaLN modulation. Departures: a point is a single token, so a block is DiT's adaLN-Zero MLP
// branch without attention; no text conditioning.
import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, Linear, Module, ModuleList, defaultRng, planSlots, resolveConfig, type ForwardContext, type Rng, type SharingPlan } from '@weft/core';
import { checkPositiveInt } from '@weft/core/internal';

/** Config of {@link DiTDenoiser}. */
export interface DiTDenoiserConfig {
  /** Point dimension. Default: 2. */
  dataDim: number;
  /** Model width. Default: 64. */
  dim: number;
  /** Layer slots. Default: 4. */
  depth: number;
  /** Plan placing the blocks' weights into the slots. Default: 'all-shared' (DiT-Air). */
  plan: SharingPlan;
  /** Diffusion steps T (the timestep embedding's range). Default: 50. */
  timesteps: number;
}

/** The documented defaults of {@link DiTDenoiserConfig}. */
export const DIT_DENOISER_DEFAULTS: DiTDenoiserConfig = { dataDim: 2, dim: 64, depth: 4, plan: 'all-shared', timesteps: 50 };

/** The weights of one block: the MLP (dim -> 4·dim -> dim). */
class DiTMlp extends Module<tf.Tensor, tf.Tensor> {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(dim: number, rng: Rng) {
    super();
    this.fc1 = this.addModule('fc1', new Linear({ inFeatures: dim, outFeatures: 4 * dim }, rng));
    this.fc2 = this.addModule('fc2', new Linear({ inFeatures: 4 * dim, outFeatures: dim }, rng));
  }
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    return this.fc2.forward(tf.relu(this.fc1.forward(x, ctx)), ctx);
  }
}

/** One layer: its own adaLN-Zero modulation (shift, scale, gate from the time embedding) around a possibly shared MLP. */
class DiTLayer extends Module<{ x: tf.Tensor; c: tf.Tensor }, tf.Tensor> {
  readonly norm: LayerNorm;
  readonly ada: Linear;
  constructor(readonly mlp: DiTMlp, dim: number, rng: Rng) {
    super();
    this.norm = this.addModule('norm', new LayerNorm({ dim, elementwiseAffine: false }));
    this.addModule('mlp', mlp);
    this.ada = this.addModule('ada', new Linear({ inFeatures: dim, outFeatures: 3 * dim }, rng));
    // adaLN-Zero: the modulation starts at zero, so every layer starts as the identity.
    for (const v of this.ada.parameters()) v.assign(tf.zerosLike(v));
  }
  forward({ x, c }: { x: tf.Tensor; c: tf.Tensor }, ctx?: ForwardContext): tf.Tensor {
    const [shift, scale, gate] = tf.split(this.ada.forward(tf.relu(c), ctx), 3, 1); // (B, 3·dim) -> 3 × (B, dim)
    const h = tf.add(tf.mul(this.norm.forward(x, ctx), tf.add(1, scale!)), shift!);
    return tf.add(x, tf.mul(gate!, this.mlp.forward(h, ctx)));
  }
}

/** ε(x_t, t): (B, dataDim) noisy points and (B,) int32 timesteps -> (B, dataDim) predicted noise. */
export class DiTDenoiser extends Module<{ x: tf.Tensor; t: tf.Tensor }, tf.Tensor> {
  /** The resolved config. */
  readonly cfg: DiTDenoiserConfig;
  readonly input: Linear;
  readonly time1: Linear;
  readonly time2: Linear;
  readonly layers: ModuleList<DiTLayer>;
  readonly finalNorm: LayerNorm;
  readonly output: Linear;
  /** The slot -> block map of the plan. */
  readonly slots: number[];

  constructor(config: Partial<DiTDenoiserConfig> = {}, rng: Rng = defaultRng()) {
    super();
    const W = 'DiTDenoiser';
    const c = (this.cfg = resolveConfig(W, DIT_DENOISER_DEFAULTS, config, { anyType: ['plan'] }));
    for (const k of ['dataDim', 'dim', 'depth', 'timesteps'] as const) checkPositiveInt(W, k, c[k]);
    const d = c.dim;
    this.slots = planSlots(c.plan, c.depth);
    this.input = this.addModule('input', new Linear({ inFeatures: c.dataDim, outFeatures: d }, rng));
    this.time1 = this.addModule('time1', new Linear({ inFeatures: d, outFeatures: d }, rng));
    this.time2 = this.addModule('time2', new Linear({ inFeatures: d, outFeatures: d }, rng));
    const blocks = Array.from({ length: Math.max(...this.slots) + 1 }, () => new DiTMlp(d, rng));
    this.layers = this.addModule('layers', new ModuleList(this.slots.map((b) => new DiTLayer(blocks[b]!, d, rng))));
    this.finalNorm = this.addModule('finalNorm', new LayerNorm({ dim: d }));
    this.output = this.addModule('output', new Linear({ inFeatures: d, outFeatures: c.dataDim }, rng));
  }

  /** Sinusoidal embedding of integer timesteps: (B,) -> (B, dim). */
  private timeEmbedding(t: tf.Tensor): tf.Tensor {
    const half = this.cfg.dim / 2;
    const freqs = tf.exp(tf.mul(tf.range(0, Math.floor(half), 1, 'float32'), -Math.log(10_000) / Math.max(1, Math.floor(half) - 1))); // (half,)
    const args = tf.mul(tf.reshape(tf.cast(t, 'float32'), [-1, 1]), tf.reshape(freqs, [1, -1])); // (B, 1)·(1, half) -> (B, half)
    const emb = tf.concat([tf.sin(args), tf.cos(args)], 1); // (B, 2·half)
    return emb.shape[1] === this.cfg.dim ? emb : tf.pad(emb, [[0, 0], [0, this.cfg.dim - emb.shape[1]!]]);
  }

  forward({ x, t }: { x: tf.Tensor; t: tf.Tensor }, ctx?: ForwardContext): tf.Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.cfg.dataDim) throw new Error(`DiTDenoiser: x has shape [${x.shape}]; expected [batch, ${this.cfg.dataDim}]`);
    if (t.rank !== 1 || t.shape[0] !== x.shape[0]) throw new Error(`DiTDenoiser: t has shape [${t.shape}]; expected [${x.shape[0]}] timesteps`);
    const c = this.time2.forward(tf.relu(this.time1.forward(this.timeEmbedding(t), ctx)), ctx); // (B, dim)
    let h = this.input.forward(x, ctx);
    for (const layer of this.layers.items) h = layer.forward({ x: h, c }, ctx);
    return this.output.forward(this.finalNorm.forward(h, ctx), ctx);
  }
}
