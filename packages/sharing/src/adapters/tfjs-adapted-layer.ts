// The tfjs side of adapters in a LayersModel: an adapted Dense or Conv2D layer is an instance of a
// registered tfjs custom layer class (WeftAdaptedDense / WeftAdaptedConv2D, subclasses of tfjs's own),
// so `model.save` writes its adapters (config and weights) and `tf.loadLayersModel` rebuilds them,
// and its weights list carries the adapter variables, so `model.compile` + `model.fit` train them.
// Trainability follows each tf.Variable's own flag — the one Weft's freeze and setActiveAdapters set —
// so the base kernel and bias (frozen) stay out of fit's variables, and inactive adapters too.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, defaultRng } from '@weft/core';
import { AdaptedLayer } from './adapted-layer.js';
import type { BaseOp } from './base-op.js';
import { adapterMethod, type AnyAdapterConfig } from './registry.js';
import { Module } from '@weft/core';

/** A tfjs LayerVariable as the adapted layer sees it (tfjs-layers is an optional peer: duck-typed). */
export interface TfjsVariable {
  readonly originalName: string;
  readonly name: string;
  readonly shape: number[];
  trainable: boolean;
  read(): tf.Variable;
}

/** The parts of a tfjs Dense / Conv2D layer the adapters read (private in tfjs's typings). */
export interface TfjsLayerInternals {
  name: string;
  built: boolean;
  trainable: boolean;
  kernel?: TfjsVariable;
  bias?: TfjsVariable | null;
  activation?: { apply(x: tf.Tensor): tf.Tensor; getClassName(): string } | null;
  strides?: number[];
  padding?: string;
  dataFormat?: string;
  dilationRate?: number | number[];
  kernelSize?: number[];
  call: (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  layers?: TfjsLayerInternals[];
  _trainableWeights: TfjsVariable[];
  _nonTrainableWeights: TfjsVariable[];
}

/** What an adapted tfjs layer carries on top of its tfjs class. */
export interface WeftAdaptedTfjsLayer extends TfjsLayerInternals {
  /** The Weft adapters of this layer. */
  weftAdapted: AdaptedLayer;
  /** The forward context of the current Weft forward, if any. */
  weftContext: () => ForwardContext | null;
  /** The prototype the layer had before it was adapted. */
  weftOriginalPrototype: object;
}

/** The saved form of a layer's adapters, under `weftAdapters` in its tfjs config. */
interface SavedAdapters {
  adapters: Array<{ name: string; config: AnyAdapterConfig }>;
  active: string[];
  disabled: boolean;
}

/** The frozen kernel and bias of one tfjs layer, registered as Weft parameters (shared, not copied). */
export class TfjsLayerBase extends Module {
  constructor(readonly layer: TfjsLayerInternals, kernel: tf.Variable, bias: tf.Variable | null) {
    super();
    this.addParameter('kernel', kernel);
    if (bias) this.addParameter('bias', bias);
  }
  forward(): never {
    throw new Error('TfjsLayerBase is applied by its AdaptedLayer');
  }
}

/** The Weft base op of a built tfjs Dense or Conv2D layer (kernel and bias shared). */
export function baseOpOf(layer: TfjsLayerInternals, fn = 'injectIntoLayersModel'): BaseOp {
  const kernel = layer.kernel!.read();
  const bias = layer.bias ? layer.bias.read() : null;
  if (layer.getClassName() === 'Dense' || layer.getClassName() === 'WeftAdaptedDense') {
    return { kind: 'linear', weight: kernel, bias, inFeatures: kernel.shape[0]!, outFeatures: kernel.shape[1]! };
  }
  if (layer.dataFormat !== 'channelsLast') throw new Error(`${fn}: layer "${layer.name}" has dataFormat=${layer.dataFormat}; only channelsLast is supported`);
  const d = layer.dilationRate ?? 1;
  const dil = (typeof d === 'number' ? [d, d] : d.length === 1 ? [d[0]!, d[0]!] : d) as [number, number];
  if (layer.padding !== 'same' && layer.padding !== 'valid') throw new Error(`${fn}: layer "${layer.name}" has padding=${layer.padding}; allowed: same, valid`);
  return {
    kind: 'conv2d', weight: kernel, bias, inFeatures: kernel.shape[2]!, outFeatures: kernel.shape[3]!,
    conv: { kernel: [kernel.shape[0]!, kernel.shape[1]!], strides: layer.strides as [number, number], padding: layer.padding, dilations: dil },
  };
}

/** A tfjs layer's adapter variables as tfjs LayerVariables sharing the Weft tf.Variables (never copies), cached per variable. */
const layerVariables = new WeakMap<tf.Variable, TfjsVariable>();
let nextId = 1_000_000_000;

function layerVariableOf(proto: object, v: tf.Variable, name: string): TfjsVariable {
  const have = layerVariables.get(v);
  if (have && have.originalName === name) return have;
  // A tfjs LayerVariable whose value is the Weft variable itself; its trainable flag is the variable's.
  const lv = Object.create(proto) as Record<string, unknown>;
  Object.assign(lv, { dtype: v.dtype, shape: v.shape, id: nextId++, originalName: name, name, constraint: null, val: v });
  Object.defineProperty(lv, 'trainable', { get: () => v.trainable, set: (t: boolean) => { v.trainable = t; }, configurable: true });
  layerVariables.set(v, lv as unknown as TfjsVariable);
  return lv as unknown as TfjsVariable;
}

/** Every weight of an adapted layer: its base kernel and bias, then each adapter's variables (named layer/adapter/path). */
function allWeights(layer: WeftAdaptedTfjsLayer): TfjsVariable[] {
  const base = [...layer._trainableWeights, ...layer._nonTrainableWeights];
  const proto = Object.getPrototypeOf(layer.kernel!) as object;
  const seen = new Set<tf.Variable>(base.map((w) => w.read()));
  const out = base.slice();
  for (const n of layer.weftAdapted.names()) {
    for (const [path, v] of layer.weftAdapted.adapter(n).namedParameters()) {
      if (seen.has(v)) continue;
      seen.add(v);
      out.push(layerVariableOf(proto, v, `${layer.name}/${n}/${path}`));
    }
  }
  return out;
}

/** The members of tfjs's Layer the adapted class overrides or calls. */
interface TfjsLayerShape {
  name: string;
  trainable: boolean;
  build(shape: unknown): void;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  getConfig(): Record<string, unknown>;
  get trainableWeights(): TfjsVariable[];
  get nonTrainableWeights(): TfjsVariable[];
}

const adaptedClasses = new Map<string, new (...args: never[]) => unknown>();

/** The registered WeftAdapted subclass of tfjs layer class `base` ('Dense' or 'Conv2D'), made once. */
function adaptedClass(base: new (args: Record<string, unknown>) => TfjsLayerInternals): new (args: Record<string, unknown>) => WeftAdaptedTfjsLayer {
  const baseName = (base as unknown as { className: string }).className;
  const className = `WeftAdapted${baseName}`;
  const have = adaptedClasses.get(className);
  if (have) return have as never;
  const Base = base as unknown as new (args: Record<string, unknown>) => TfjsLayerShape;
  class Adapted extends Base {
    static className = className;
    declare weftAdapted: AdaptedLayer;
    declare weftContext: () => ForwardContext | null;
    declare weftOriginalPrototype: object;
    /** Adapters read from a saved config, made when the layer is built. */
    declare weftPending: SavedAdapters | undefined;

    override build(shape: unknown): void {
      super.build(shape);
      const pending = this.weftPending;
      if (!pending) return;
      this.weftPending = undefined;
      const self = this as unknown as WeftAdaptedTfjsLayer;
      self.weftOriginalPrototype = Base.prototype;
      self.weftContext = () => null;
      const op = baseOpOf(self, 'tf.loadLayersModel');
      self.weftAdapted = new AdaptedLayer(new TfjsLayerBase(self, op.weight, op.bias), op);
      self.weftAdapted.baseModule.freeze();
      for (const w of [self.kernel, self.bias]) if (w) followVariableFlag(w);
      for (const { name, config } of pending.adapters) {
        const method = adapterMethod((config as { method: string }).method);
        const a = method.factory(op, config as never, { path: this.name, rng: defaultRng().fork(this.name), strictRank: true });
        a.resolvedConfig = config as never;
        self.weftAdapted.add(name, a);
        a.freeze(!pending.active.includes(name));
      }
      self.weftAdapted.active = pending.active.filter((n) => self.weftAdapted.has(n));
      self.weftAdapted.disabled = pending.disabled;
    }

    override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
      const self = this as unknown as WeftAdaptedTfjsLayer;
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        const y = self.weftAdapted.forward(x, self.weftContext() ?? new ForwardContext());
        return self.activation ? self.activation.apply(y) : y;
      });
    }

    override getConfig(): Record<string, unknown> {
      const self = this as unknown as WeftAdaptedTfjsLayer;
      const a = self.weftAdapted;
      if (a.merged.length > 0) throw new Error(`${className} "${this.name}": adapters ${a.merged.join(', ')} are merged into the kernel; unmerge them before saving`);
      const adapters = a.names().map((name) => {
        const config = a.adapter(name).resolvedConfig;
        if (!config) throw new Error(`${className} "${this.name}": adapter "${name}" has no config to save`);
        return { name, config: config as AnyAdapterConfig };
      });
      const saved: SavedAdapters = { adapters, active: a.active.slice(), disabled: a.disabled };
      return { ...super.getConfig(), weftAdapters: saved as unknown as Record<string, unknown> };
    }

    static fromConfig(cls: new (args: Record<string, unknown>) => Adapted, config: Record<string, unknown>): Adapted {
      const { weftAdapters, ...rest } = config;
      const l = new cls(rest);
      l.weftPending = weftAdapters as unknown as SavedAdapters;
      return l;
    }

    // tfjs reads these for fit, save, load, getWeights/setWeights: base and adapter variables, split by the variables' own flags.
    override get trainableWeights(): TfjsVariable[] {
      return this.trainable ? allWeights(this as unknown as WeftAdaptedTfjsLayer).filter((w) => w.read().trainable) : [];
    }
    override get nonTrainableWeights(): TfjsVariable[] {
      const all = allWeights(this as unknown as WeftAdaptedTfjsLayer);
      return this.trainable ? all.filter((w) => !w.read().trainable) : all;
    }
  }
  tf.serialization.registerClass(Adapted as never);
  adaptedClasses.set(className, Adapted);
  return Adapted as never;
}

/**
 * Register WeftAdaptedDense and WeftAdaptedConv2D with tfjs's serialization, so `tf.loadLayersModel`
 * can rebuild a saved model with adapters. Pass tfjs-layers' module (`import * as tfl from
 * '@tensorflow/tfjs-layers'`); adapting a layer registers its class too.
 */
export function registerTfjsAdaptedLayers(tfl: { layers: { dense(a: object): unknown; conv2d(a: object): unknown } }): void {
  if (!tfl || typeof tfl.layers?.dense !== 'function') throw new Error('registerTfjsAdaptedLayers: pass the @tensorflow/tfjs-layers module');
  adaptedClass(Object.getPrototypeOf(tfl.layers.dense({ units: 1 })).constructor);
  adaptedClass(Object.getPrototypeOf(tfl.layers.conv2d({ filters: 1, kernelSize: 1 })).constructor);
}

/** Make `layer` (a built tfjs Dense or Conv2D) an instance of its WeftAdapted class holding `adapted`. */
export function adaptTfjsLayer(layer: TfjsLayerInternals, adapted: AdaptedLayer, context: () => ForwardContext | null): WeftAdaptedTfjsLayer {
  const proto = Object.getPrototypeOf(layer) as { constructor: new (args: Record<string, unknown>) => TfjsLayerInternals };
  const self = layer as WeftAdaptedTfjsLayer;
  if (!('weftAdapted' in layer)) {
    const cls = adaptedClass(proto.constructor);
    Object.setPrototypeOf(layer, cls.prototype);
    self.weftOriginalPrototype = proto;
  }
  self.weftAdapted = adapted;
  self.weftContext = context;
  for (const w of [layer.kernel, layer.bias]) if (w) followVariableFlag(w);
  return self;
}

/**
 * Make a base LayerVariable's `trainable` its variable's flag (the one Weft's freeze sets), as the
 * adapters' are. Setting it does nothing: tfjs sets every weight's flag when a layer's `trainable`
 * is set (tf.loadLayersModel does, with the saved value), which would unfreeze the base; the layer's
 * own `trainable` still switches all its weights off for fit.
 */
function followVariableFlag(w: TfjsVariable): void {
  const v = w.read();
  Object.defineProperty(w, 'trainable', { get: () => v.trainable, set: () => undefined, configurable: true });
}

/** Give `layer` its tfjs class back (the adapters are the caller's to dispose). */
export function unadaptTfjsLayer(layer: WeftAdaptedTfjsLayer): void {
  for (const w of [layer.kernel, layer.bias]) {
    if (!w) continue;
    const t = w.trainable;
    delete (w as Partial<TfjsVariable>).trainable;
    w.trainable = t; // tfjs's own setter again: its flag and the variable's
  }
  Object.setPrototypeOf(layer, layer.weftOriginalPrototype);
  const l = layer as Partial<WeftAdaptedTfjsLayer>;
  delete l.weftAdapted;
  delete l.weftContext;
  delete l.weftOriginalPrototype;
}

/** Whether `layer` is an adapted tfjs layer (made here, or rebuilt by tf.loadLayersModel). */
export function isAdaptedTfjsLayer(layer: TfjsLayerInternals): layer is WeftAdaptedTfjsLayer {
  return (layer as Partial<WeftAdaptedTfjsLayer>).weftAdapted instanceof AdaptedLayer;
}
