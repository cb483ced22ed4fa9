// Arrow routing over a library of LoRAs: Towards Modular LLMs by Building and Reusing a Library of
// LoRAs (arXiv:2405.11157). Each expert's prototype at a layer is the top singular direction of its
// ΔW in input space (Weft layout ΔW [in, out]: the top left singular vector); each token is routed
// by |⟨x, prototype⟩| to its top-k experts, weighted by a softmax with temperature over those
// scores, and the selected experts' LoRA outputs are mixed. Zero-shot: nothing is trained. The
// experts stay in the model (shared by identity) and are read, not copied. General-knowledge
// subtraction (GenKnowSub: Improving Modularity and Reusability of LLMs through General Knowledge
// Subtraction, arXiv:2505.10939), as PEFT's ArrowConfig(use_gks=True) does it: the mean A and mean B
// of the general LoRAs are subtracted from every expert's A and B, factor by factor (so an expert's
// ΔW becomes s·(A − Ā)(B − B̄), not ΔW − mean ΔW_general), before prototypes and routing; the experts'
// own variables are left as they are (PEFT overwrites them), the router holds Ā and B̄. Departure:
// every expert's output is computed densely and weighted (fine for libraries of a few adapters).
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, type ForwardContext, type Module, describeValue } from '@weft/core';
import { AdapterLayer } from '../adapter-layer.js';
import { checkAdapterName } from '../adapted-layer.js';
import { applyFlat, channelMatMul, type BaseOp } from '../base-op.js';
import { adaptedLayers, adapterNames, setActiveAdapters } from '../inject.js';
import { LoraLayer } from '../lora/layer.js';
import { svd } from '../svd.js';

/** Options of {@link addArrowRouter}. */
export interface ArrowOptions {
  /** Experts routed to per token. Default: 2 (capped by the library size). */
  topK?: number;
  /** Softmax temperature over the selected experts' scores. Default: 1. */
  temperature?: number;
  /**
   * General-knowledge LoRAs (PEFT's gks adapters, `use_gks`): their factors' mean is subtracted from
   * every expert's factors (GenKnowSub); they are not routed to. Default: [] (plain Arrow).
   */
  general?: string[];
}

/** The general-knowledge means a router subtracts from every expert: Ā [in, r] and B̄ [r, out] (Weft layout). */
export interface GeneralKnowledge {
  a: tf.Tensor2D;
  b: tf.Tensor2D;
}

/** An expert's factors A [in, r] and B [r, out] less the general-knowledge means `g` (GenKnowSub), or as they are. */
function routedFactors(e: LoraLayer, g: GeneralKnowledge | null): [tf.Tensor2D, tf.Tensor2D] {
  const [a, b] = [e.loraA as tf.Tensor2D, e.loraB as tf.Tensor2D];
  return g ? [tf.sub(a, g.a), tf.sub(b, g.b)] : [a, b];
}

/** The Arrow router on one layer: prototypes [in, E] and the experts' LoRA layers. */
export class ArrowLayer extends AdapterLayer {
  readonly method = 'arrow';

  constructor(
    base: BaseOp,
    readonly experts: LoraLayer[],
    readonly prototypes: tf.Tensor2D,
    readonly topK: number,
    readonly temperature: number,
    /** The subtracted general-knowledge means, or null (plain Arrow). */
    readonly general: GeneralKnowledge | null = null,
  ) {
    super(base);
  }

  /** Expert `i`'s factors as routed: A [in, r] and B [r, out], less the general means when set. */
  factors(i: number): [tf.Tensor2D, tf.Tensor2D] {
    return routedFactors(this.experts[i]!, this.general);
  }

  /** Routing weights [N, E]: softmax over the top-k |⟨x, prototype⟩|, zero elsewhere. */
  routing(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const e = this.experts.length;
      const scores = tf.abs(tf.matMul(x, this.prototypes)); // (N, E)
      const { values, indices } = tf.topk(scores, this.topK);
      const w = tf.softmax(tf.div(values, this.temperature)); // (N, k)
      return tf.sum(tf.mul(tf.oneHot(indices, e), tf.expandDims(w, 2)), 1) as tf.Tensor2D; // (N, k, E) -> (N, E)
    });
  }

  override transformOutput(x: tf.Tensor, y: tf.Tensor, _yBase: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (this.base.kind !== 'linear') throw new Error('Arrow: only Linear/Dense layers');
    if (this.experts.some((e) => e.loraA.isDisposed)) throw new Error('Arrow: an expert of this router was deleted; delete the router too or rebuild it with addArrowRouter');
    const w = this.routing(x as tf.Tensor2D);
    ctx.addStat(`${ctx.keyOf(this, 'arrow')}/load`, tf.mean(w, 0)); // per layer: its path in the trainer's model
    let out = y;
    this.experts.forEach((ex, i) => {
      const [a, b] = this.factors(i);
      const d = tf.mul(channelMatMul(applyFlat(this.base, x, a), b), ex.scaling); // (N, out)
      out = tf.add(out, tf.mul(d, tf.slice(w, [0, i], [-1, 1])));
    });
    return out;
  }

  deltaWeight(): tf.Tensor2D {
    throw new Error('Arrow: routing depends on the input; there is no single ΔW to merge');
  }

  merge(): void {
    throw new Error('Arrow: an input-routed mixture cannot be merged into the base weights');
  }

  unmerge(): void {}

  override dispose(): void {
    this.prototypes.dispose();
    if (this.general) tf.dispose([this.general.a, this.general.b]);
    super.dispose();
  }
}

/**
 * Add an Arrow router `name` over the LoRA adapters `experts` on `model` and make it the only
 * active adapter. Every layer adapted by any expert gets a router over the experts present there.
 */
export async function addArrowRouter(model: Module<any, any>, name: string, experts: string[], options: ArrowOptions = {}): Promise<string[]> {
  const fn = 'addArrowRouter';
  checkKnownKeys(`${fn}: options`, options, ['topK', 'temperature', 'general']);
  checkAdapterName(name, fn);
  if (!Array.isArray(experts) || experts.length < 1) throw new Error(`${fn}: experts must be a non-empty list of LoRA adapter names`);
  const known = adapterNames(model);
  const general = options.general ?? [];
  if (!Array.isArray(general)) throw new Error(`${fn}: general=${describeValue(general)} must be a list of LoRA adapter names`);
  for (const e of [...experts, ...general]) if (!known.includes(e)) throw new Error(`${fn}: no adapter "${e}" (has: ${known.join(', ') || 'none'})`);
  const both = general.filter((g) => experts.includes(g));
  if (both.length > 0) throw new Error(`${fn}: ${describeValue(both)} are both experts and general adapters; a general adapter is subtracted, not routed to`);
  if (known.includes(name)) throw new Error(`${fn}: the model already has an adapter "${name}"`);
  const topK = options.topK ?? 2;
  const temperature = options.temperature ?? 1;
  if (!Number.isInteger(topK) || topK < 1) throw new Error(`${fn}: topK=${topK} must be a positive integer`);
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`${fn}: temperature=${temperature} must be a positive number`);
  const plans: Array<[string, (typeof adaptedLayers extends (...a: any[]) => Array<[string, infer L]> ? L : never), ArrowLayer]> = [];
  try {
    for (const [path, l] of adaptedLayers(model)) {
      const here = experts.filter((e) => l.has(e)).map((e) => l.adapter(e));
      if (here.length === 0) continue;
      const names = experts.filter((e) => l.has(e));
      const generalHere = general.map((g) => {
        if (!l.has(g)) throw new Error(`${fn}: general adapter "${g}" is not on "${path}", where the experts ${describeValue(names)} are; it must adapt every layer they adapt`);
        return l.adapter(g);
      });
      [...here, ...generalHere].forEach((a, i) => {
        const label = i < here.length ? `expert "${names[i]}"` : `general adapter "${general[i - here.length]}"`;
        if (!(a instanceof LoraLayer) || a.magnitude) throw new Error(`${fn}: ${label} at "${path}" is ${a.method}${a.method === 'lora' ? ' with DoRA' : ''}; Arrow routes plain LoRA experts`);
        const r = (here[0] as LoraLayer).options.r;
        if (generalHere.length > 0 && a.options.r !== r) throw new Error(`${fn}: ${label} at "${path}" has r=${a.options.r}, expert "${names[0]}" r=${r}; general-knowledge subtraction needs one rank`);
      });
      const gks = generalHere.length === 0 ? null : tf.tidy(() => ({
        a: tf.keep(tf.mean(tf.stack(generalHere.map((g) => (g as LoraLayer).loraA)), 0) as tf.Tensor2D), // (G, in, r) -> (in, r)
        b: tf.keep(tf.mean(tf.stack(generalHere.map((g) => (g as LoraLayer).loraB)), 0) as tf.Tensor2D), // (G, r, out) -> (r, out)
      }));
      const k = l.base.inFeatures;
      const protos = new Float32Array(k * here.length);
      try {
        for (let i = 0; i < here.length; i++) {
          const d = tf.tidy(() => tf.matMul(...routedFactors(here[i] as LoraLayer, gks))); // the routed ΔW / s: (in, r) (r, out) -> (in, out)
          const { u, k: kk } = svd(await d.data(), k, l.base.outFeatures);
          d.dispose();
          for (let r = 0; r < k; r++) protos[r * here.length + i] = u[r * kk]!;
        }
      } catch (e) {
        if (gks) tf.dispose([gks.a, gks.b]);
        throw e;
      }
      plans.push([path, l, new ArrowLayer(l.base, here as LoraLayer[], tf.tensor2d(protos, [k, here.length]), Math.min(topK, here.length), temperature, gks)]);
    }
  } catch (e) {
    for (const [, , a] of plans) a.dispose();
    throw e;
  }
  if (plans.length === 0) throw new Error(`${fn}: no layer carries any of the experts ${describeValue(experts)}`);
  for (const [, l, a] of plans) l.add(name, a);
  setActiveAdapters(model, [name]);
  return plans.map(([p]) => p);
}
