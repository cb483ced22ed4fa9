// Adapters on a user's existing tfjs model: inject into the Dense and Conv2D layers of a
// `tf.LayersModel` by layer-name pattern, so it can be fine-tuned in the browser with only the
// adapter weights training. Each targeted layer's `call` is replaced (on that instance only) by the
// adapted computation — base kernel and bias shared, never copied — followed by the layer's own
// activation. The returned handle is a Weft Module: train it with Weft's trainer, and use the
// model-level operations (setActiveAdapters, mergeAdapters, disableAdapters, …) on it.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ForwardContext, Module, checkKnownKeys, defaultRng, describeValue } from '@weft/core';
import { AdaptedLayer, checkAdapterName } from './adapted-layer.js';
import type { BaseOp } from './base-op.js';
import { INJECT_OPTIONS, adapterNames, setActiveAdapters, type InjectOptions } from './inject.js';
import { adapterMethod, resolveAdapterConfig, type AnyAdapterConfig } from './registry.js';
import type { AdapterLayer } from './adapter-layer.js';
import { removeChild, targetMatcher } from './tree.js';

/** The parts of a tfjs Dense / Conv2D layer the adapters read (private in tfjs's typings). */
interface TfjsLayerInternals {
  name: string;
  built: boolean;
  trainable: boolean;
  kernel?: { read(): tf.Variable };
  bias?: { read(): tf.Variable } | null;
  activation?: { apply(x: tf.Tensor): tf.Tensor; getClassName(): string } | null;
  strides?: number[];
  padding?: string;
  dataFormat?: string;
  dilationRate?: number | number[];
  kernelSize?: number[];
  call: (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];
  getClassName(): string;
  layers?: TfjsLayerInternals[];
}

/** The frozen kernel and bias of one tfjs layer, registered as Weft parameters (shared, not copied). */
class TfjsLayerBase extends Module {
  constructor(readonly layer: TfjsLayerInternals, kernel: tf.Variable, bias: tf.Variable | null) {
    super();
    this.addParameter('kernel', kernel);
    if (bias) this.addParameter('bias', bias);
  }
  forward(): never {
    throw new Error('TfjsLayerBase is applied by its AdaptedLayer');
  }
}

function baseOpOf(layer: TfjsLayerInternals): BaseOp {
  const kernel = layer.kernel!.read();
  const bias = layer.bias ? layer.bias.read() : null;
  if (layer.getClassName() === 'Dense') {
    return { kind: 'linear', weight: kernel, bias, inFeatures: kernel.shape[0]!, outFeatures: kernel.shape[1]! };
  }
  if (layer.dataFormat !== 'channelsLast') throw new Error(`injectIntoLayersModel: layer "${layer.name}" has dataFormat=${layer.dataFormat}; only channelsLast is supported`);
  const d = layer.dilationRate ?? 1;
  const dil = (typeof d === 'number' ? [d, d] : d.length === 1 ? [d[0]!, d[0]!] : d) as [number, number];
  if (layer.padding !== 'same' && layer.padding !== 'valid') throw new Error(`injectIntoLayersModel: layer "${layer.name}" has padding=${layer.padding}; allowed: same, valid`);
  return {
    kind: 'conv2d', weight: kernel, bias, inFeatures: kernel.shape[2]!, outFeatures: kernel.shape[3]!,
    conv: { kernel: [kernel.shape[0]!, kernel.shape[1]!], strides: layer.strides as [number, number], padding: layer.padding, dilations: dil },
  };
}

function allLayers(layers: TfjsLayerInternals[]): TfjsLayerInternals[] {
  return layers.flatMap((l) => (Array.isArray(l.layers) ? allLayers(l.layers) : [l]));
}

const SUPPORTED = ['Dense', 'Conv2D'];

/** Adapters injected into a tfjs LayersModel: a Weft Module whose forward is the model's. */
export class LayersModelAdapters extends Module {
  /** The adapted tfjs layers, by layer name. */
  readonly adapted = new Map<string, { layer: TfjsLayerInternals; wrapper: AdaptedLayer; original: TfjsLayerInternals['call']; child: string }>();
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

  /** Wrap tfjs layer `layer` (once) and return its AdaptedLayer. */
  wrap(layer: TfjsLayerInternals): AdaptedLayer {
    const have = this.adapted.get(layer.name);
    if (have) return have.wrapper;
    const base = baseOpOf(layer);
    const wrapper = new AdaptedLayer(new TfjsLayerBase(layer, base.weight, base.bias), base);
    const original = layer.call;
    let child = layer.name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1');
    while (this.namedChildren().has(child)) child += '_';
    this.adapted.set(layer.name, { layer, wrapper, original, child });
    this.addModule(child, wrapper);
    layer.trainable = false;
    layer.call = (inputs, _kwargs) =>
      tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        const y = wrapper.forward(x, this.ctx ?? new ForwardContext());
        return layer.activation ? layer.activation.apply(y) : y;
      });
    return wrapper;
  }

  /** Put every layer's own `call` back, merging the active adapters into the kernels first when `merge`; the adapters are disposed. */
  unload(options: { merge?: boolean } = {}): void {
    checkKnownKeys('LayersModelAdapters.unload: options', options, ['merge']);
    for (const { layer, wrapper, original, child } of this.adapted.values()) {
      removeChild(this, child);
      wrapper.unmergeAll();
      if (options.merge && !wrapper.disabled) wrapper.merge();
      wrapper.merged.length = 0;
      for (const n of wrapper.names()) wrapper.adapter(n).dispose();
      if ((Object.getPrototypeOf(layer) as TfjsLayerInternals).call === original) delete (layer as Partial<TfjsLayerInternals>).call;
      else layer.call = original;
    }
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
  registry.set(model, handle);
  return handle;
}

/**
 * Inject adapter `name` into the Dense and Conv2D layers of a built tfjs model whose layer names
 * match `config.targets` (PEFT's rule). The base kernels are frozen; the adapter becomes the only
 * active one. Returns the model's adapter handle (the same one for later injections). On any error
 * the model is unchanged.
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
  if (options.activate ?? true) setActiveAdapters(handle, [name], { freezeBase: options.freezeBase ?? true });
  return handle;
}
