// The adapter-method registry, modelled on PEFT's `register_peft_method`: a method is one
// `AdapterMethod` object — its options with their defaults, their checks, the layer factory, its
// optional PEFT codec and its optional real-scale count — registered by its own folder's index.ts
// (`registerAdapterMethod('lora', loraMethod)`). Injection, PEFT I/O, the calculator and the test
// matrices read the registry; nothing outside an entry checks a method by name. This file imports
// no method, so a method may use injection helpers without an import cycle.
import { registerAdapterCount, resolveConfig, type AdapterCount, type Rng, describeValue } from '@weft/core';
import type { AdapterLayer } from './adapter-layer.js';
import type { BaseOp } from './base-op.js';
import type { AdapterConfigBase, ResolvedConfig, ResolvedOptions } from './config.js';
import type { AdapterCostTerms, CostShape } from './cost.js';
import type { PeftCodec } from './peft-codec.js';
import { checkAdapterTaxonomy, type AdapterTaxonomy } from './taxonomy.js';

/**
 * The config type of each registered method, by name. Each method's config.ts adds its own by
 * declaration merging (`declare module '../registry.js' { interface AdapterConfigs { lora: LoraConfig } }`),
 * so the compiler checks a literal config of a known method too (a misspelt option is an error).
 */
export interface AdapterConfigs {}

/** A config `injectAdapter` takes: a registered method's, or the common fields of a method whose type is not declared. */
export type AnyAdapterConfig = AdapterConfigs[keyof AdapterConfigs] | AdapterConfigBase;

/** How a factory is called. */
export interface AdapterFactoryContext {
  /** The layer's module path (for rank/alpha patterns and messages). */
  path: string;
  /** Seeded randomness for initialisation. */
  rng: Rng;
  /** Refuse ranks above the layer's size (true for new adapters; loaded files are checked by shape). */
  strictRank: boolean;
}

/** One adapter method: everything Weft needs to know about it. */
export interface AdapterMethod<C extends AdapterConfigBase = any, L extends AdapterLayer = any> {
  /** Its name in messages, e.g. "LoRA". */
  label: string;
  /** Its PEFT-survey category and Modular Deep Learning dimensions (taxonomy.ts). */
  taxonomy: AdapterTaxonomy;
  /**
   * Every option besides `method`, `targets` and `exclude`, with its documented default: the one
   * place the defaults are written. A config key that is not here is refused with the nearest name.
   */
  defaults: Readonly<ResolvedOptions<C>>;
  /** Check the options (defaults filled in; errors name `where`, the option, the value and what is allowed). Default: none. */
  check?(options: ResolvedOptions<C>, where: string): ResolvedOptions<C>;
  /** Create the adapter for one base layer. */
  factory(base: BaseOp, config: ResolvedConfig<C>, ctx: AdapterFactoryContext): L;
  /** Its PEFT form, or null: the method has none, and PEFT's loader and saver say so. */
  peft: PeftCodec<C, L> | null;
  /** Its real-scale parameter count for core's calculator, or null when it has none. */
  count: AdapterCount<any> | null;
  /**
   * Its cost on one Linear layer of `shape` at `path` (cost.ts, the PEFT survey's table): trainable
   * parameters, extra FLOPs per token and per call unmerged (cost.ts' FLOP convention), mergeability.
   */
  cost(shape: Required<CostShape>, config: ResolvedConfig<C>, path: string): AdapterCostTerms;
}

const methods = new Map<string, AdapterMethod>();
const NAME = /^[a-z][a-z0-9_-]*$/;

/** Register adapter method `name` (and its real-scale count with core's calculator). */
export function registerAdapterMethod(name: string, method: AdapterMethod): void {
  if (!NAME.test(name)) throw new Error(`registerAdapterMethod: name ${describeValue(name)} must be lower-case letters, digits, "_" or "-"`);
  if (methods.has(name)) throw new Error(`registerAdapterMethod: "${name}" is already registered`);
  for (const k of ['method', 'targets', 'exclude']) {
    if (k in method.defaults) throw new Error(`registerAdapterMethod: "${name}" defaults must not set the common field "${k}"`);
  }
  checkAdapterTaxonomy(`registerAdapterMethod("${name}")`, method.taxonomy);
  if (method.count) registerAdapterCount(name, method.count);
  methods.set(name, method);
}

/** The method registered as `name`. */
export function adapterMethod(name: unknown): AdapterMethod {
  const m = typeof name === 'string' ? methods.get(name) : undefined;
  if (!m) throw new Error(`adapters: method=${describeValue(name)} is not registered; allowed: ${[...methods.keys()].join(', ')}`);
  return m;
}

/** Registered method names, in registration order. */
export function adapterMethodNames(): string[] {
  return [...methods.keys()];
}

/**
 * Fill a method config's defaults and check it: unknown keys are refused with the nearest allowed
 * name ("LoRA config: unknown option 'alfa'; did you mean 'alpha'?"), every option is checked.
 */
export function resolveAdapterConfig<C extends AdapterConfigBase>(config: C): ResolvedConfig<C> {
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new Error('adapters: config must be an object with a method and targets');
  const method = adapterMethod(config.method);
  const where = `${method.label} config`;
  const merged = resolveConfig(where, method.defaults as Record<string, unknown>, config as unknown as Record<string, unknown>, {
    extraKeys: ['method', 'targets', 'exclude'],
  });
  const { method: name, targets, exclude, ...options } = merged;
  const checked = method.check ? method.check(options as ResolvedOptions<C>, where) : options;
  return { method: name, targets, exclude: exclude ?? null, ...checked } as ResolvedConfig<C>;
}
