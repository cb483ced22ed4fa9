// Adapters on a user's existing tfjs model: inject into the Dense and Conv2D layers of a
// `tf.LayersModel` by layer-name pattern, so it can be fine-tuned in the browser with only the
// adapter weights training. Each targeted layer becomes an instance of a registered tfjs custom layer
// class (tfjs-adapted-layer.ts) computing the adapted layer — base kernel and bias shared, never
// copied — then the layer's own activation; its weights list carries the adapters, so tfjs's own
// compile/fit train them and model.save/tf.loadLayersModel keep them. The returned handle is a Weft
// Module: train it with Weft's trainer, and use the model-level operations (setActiveAdapters,
// mergeAdapters, disableAdapters, …) on it.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ForwardContext, Module, checkKnownKeys, defaultRng, describeValue } from '@weft/core';
import { AdaptedLayer, checkAdapterName } from './adapted-layer.js';
import { TfjsLayerBase, adaptTfjsLayer, baseOpOf, isAdaptedTfjsLayer, unadaptTfjsLayer, type TfjsLayerInternals, type WeftAdaptedTfjsLayer } from './tfjs-adapted-layer.js';
import { INJECT_OPTIONS, adapterNames, setActiveAdapters, type InjectOptions } from './inject.js';
import { adapterMethod, resolveAdapterConfig, type AnyAdapterConfig } from './registry.js';
import type { AdapterLayer } from './adapter-layer.js';
import { removeChild, targetMatcher } from './tree.js';

function allLayers(layers: TfjsLayerInternals[]): TfjsLayerInternals[] {
  return layers.flatMap((l) => (Array.isArray(l.layers) ? allLayers(l.layers) : [l]));
}

const SUPPORTED = ['Dense', 'Conv2D', 'WeftAdaptedDense', 'WeftAdaptedConv2D'];

/** Adapters injected into a tfjs LayersModel: a Weft Module whose forward is the model's. */
export class LayersModelAdapters extends Module {
  /** The adapted tfjs layers, by layer name. */
  readonly adapted = new Map<string, { layer: WeftAdaptedTfjsLayer; wrapper: AdaptedLayer; child: string }>();
  /** Layers with weights and no adapter that this handle made non-trainable (PEFT freezes the whole base), to restore on unload. */
  private readonly frozenLayers = new Set<TfjsLayerInternals>();
  private ctx: ForwardContext | null = null;

  constructor(readonly model: tfl.LayersModel) {
    super();
  }

  /** The model's output for `x` (adapters applied). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    this.ctx = ctx;
    try {
      return this.model.apply(x, { training: ctx.training }) as tf.Tensor;
    } finally {
      this.ctx = null;
    }
  }

  /** Wrap tfjs layer `layer` (once) and return its AdaptedLayer; a layer tf.loadLayersModel rebuilt with adapters keeps them. */
  wrap(layer: TfjsLayerInternals): AdaptedLayer {
    const have = this.adapted.get(layer.name);
    if (have) return have.wrapper;
    let wrapper: AdaptedLayer;
    if (isAdaptedTfjsLayer(layer)) wrapper = layer.weftAdapted;
    else {
      const base = baseOpOf(layer);
      wrapper = new AdaptedLayer(new TfjsLayerBase(layer, base.weight, base.bias), base);
      wrapper.baseModule.freeze();
    }
    let child = layer.name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1');
    while (this.namedChildren().has(child)) child += '_';
    const adaptedLayer = adaptTfjsLayer(layer, wrapper, () => this.ctx);
    this.adapted.set(layer.name, { layer: adaptedLayer, wrapper, child });
    this.addModule(child, wrapper);
    return wrapper;
  }

  /** Make every layer of the model that has weights and no adapter non-trainable for tfjs's fit (undone by unload). */
  freezeOtherLayers(): void {
    for (const l of allLayers((this.model as unknown as { layers: TfjsLayerInternals[] }).layers)) {
      if (this.adapted.has(l.name) || !l.trainable || l._trainableWeights.length === 0) continue;
      l.trainable = false;
      this.frozenLayers.add(l);
    }
  }

  /** Give every layer its own tfjs class back, merging the active adapters into the kernels first when `merge`; the adapters are disposed. */
  unload(options: { merge?: boolean } = {}): void {
    checkKnownKeys('LayersModelAdapters.unload: options', options, ['merge']);
    for (const { layer, wrapper, child } of this.adapted.values()) {
      removeChild(this, child);
      wrapper.unmergeAll();
      if (options.merge && !wrapper.disabled) wrapper.merge();
      wrapper.merged.length = 0;
      for (const n of wrapper.names()) wrapper.adapter(n).dispose();
      unadaptTfjsLayer(layer);
      wrapper.baseModule.freeze(false);
    }
    for (const l of this.frozenLayers) l.trainable = true;
    this.frozenLayers.clear();
    this.adapted.clear();
    registry.delete(this.model);
  }
}

const registry = new WeakMap<tfl.LayersModel, LayersModelAdapters>();

/**
 * The adapter handle of a built tfjs model with every Dense and Conv2D layer wrapped and no adapter
 * yet (the wrapped layers compute what they did, to float rounding), so a PEFT file loads onto it directly —
 * `await loadPeftAdapter(layersModelAdapters(model), files)` — its target_modules naming the tfjs
 * layers. The same handle as {@link injectIntoLayersModel}'s.
 */
export function layersModelAdapters(model: tfl.LayersModel): LayersModelAdapters {
  const fn = 'layersModelAdapters';
  if (!model || !Array.isArray((model as unknown as { layers?: unknown }).layers)) throw new Error(`${fn}: model must be a tf.LayersModel`);
  const layers = allLayers((model as unknown as { layers: TfjsLayerInternals[] }).layers).filter((l) => SUPPORTED.includes(l.getClassName()));
  for (const l of layers) if (!l.built || !l.kernel) throw new Error(`${fn}: layer "${l.name}" is not built (call the model once or build it first)`);
  const handle = registry.get(model) ?? new LayersModelAdapters(model);
  for (const l of layers) handle.wrap(l);
  handle.freezeOtherLayers();
  registry.set(model, handle);
  return handle;
}

/**
 * Inject adapter `name` into the Dense and Conv2D layers of a built tfjs model whose layer names
 * match `config.targets` (PEFT's rule). The base kernels are frozen; the adapter becomes the only
 * active one. Returns the model's adapter handle (the same one for later injections). On any error
 * the model is unchanged. With `freezeBase` (default) the model's other layers become non-trainable too,
 * so tfjs's own `model.compile(...)` — called after injecting or changing the active adapters, as tfjs
 * collects the trainable weights at compile — then `model.fit` trains the active adapters only.
 * `model.save` writes the adapters; call {@link registerTfjsAdaptedLayers} before `tf.loadLayersModel`.
 */
export function injectIntoLayersModel(model: tfl.LayersModel, name: string, config: AnyAdapterConfig, options: InjectOptions = {}): LayersModelAdapters {
  const fn = 'injectIntoLayersModel';
  if (!model || !Array.isArray((model as unknown as { layers?: unknown }).layers)) throw new Error(`${fn}: model must be a tf.LayersModel`);
  checkAdapterName(name, fn);
  const handle = registry.get(model) ?? new LayersModelAdapters(model);
  if (adapterNames(handle).includes(name)) throw new Error(`${fn}: the model already has an adapter "${name}"`);
  checkKnownKeys(`${fn}: options`, options, INJECT_OPTIONS);
  const resolved = resolveAdapterConfig(config);
  const method = adapterMethod(resolved.method);
  const match = targetMatcher(resolved.targets, 'targets');
  const exclude = resolved.exclude ? targetMatcher(resolved.exclude, 'exclude') : () => false;
  const layers = allLayers((model as unknown as { layers: TfjsLayerInternals[] }).layers);
  const candidates = layers.filter((l) => SUPPORTED.includes(l.getClassName()));
  const targets = candidates.filter((l) => match(l.name) && !exclude(l.name));
  if (targets.length === 0) {
    throw new Error(`${fn}: targets=${describeValue(resolved.targets)} matched no Dense or Conv2D layer; the model's are: ${candidates.map((l) => l.name).join(', ') || 'none'}`);
  }
  for (const l of targets) if (!l.built || !l.kernel) throw new Error(`${fn}: layer "${l.name}" is not built (call the model once or build it first)`);
  const rng = options.rng ?? defaultRng();
  const created: Array<[TfjsLayerInternals, AdapterLayer]> = [];
  try {
    for (const l of targets) {
      const base = handle.adapted.get(l.name)?.wrapper.base ?? baseOpOf(l);
      const a = method.factory(base, resolved, { path: l.name, rng: rng.fork(l.name), strictRank: options.strictRank ?? true });
      a.resolvedConfig = resolved;
      created.push([l, a]);
    }
  } catch (e) {
    for (const [, a] of created) a.dispose();
    throw e;
  }
  for (const [l, a] of created) {
    handle.wrap(l).add(name, a);
    if (!(options.activate ?? true)) a.freeze();
  }
  registry.set(model, handle);
  if (options.freezeBase ?? true) handle.freezeOtherLayers();
  if (options.activate ?? true) setActiveAdapters(handle, [name], { freezeBase: options.freezeBase ?? true });
  return handle;
}
