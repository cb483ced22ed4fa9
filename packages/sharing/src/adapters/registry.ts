// The adapter-method registry: a method name → {defaults, resolve (fill defaults + check), factory
// (one adapter on one base layer)}. A new method is one folder plus one register line below.
import type { Rng } from '@weft/core';
import type { AdapterLayer } from './adapter-layer.js';
import type { BaseOp } from './base-op.js';
import type { AdapterConfigBase } from './config.js';
import { loraMethod } from './lora/index.js';
import { lohaMethod } from './loha/index.js';
import { lokrMethod } from './lokr/index.js';
import { ia3Method } from './ia3/index.js';
import { tapsMethod } from './taps/index.js';
import { residualMethod } from './residual/index.js';
import { etherMethod } from './ether/index.js';
import { mosMethod } from './mos/index.js';
import { mokaMethod } from './moka/index.js';
import { hyperMethod } from './hyper/index.js';

/** How a factory is called. */
export interface AdapterFactoryContext {
  /** The layer's module path (for rank/alpha patterns and messages). */
  path: string;
  /** Seeded randomness for initialisation. */
  rng: Rng;
  /** Refuse ranks above the layer's size (true for new adapters; loaded files are checked by shape). */
  strictRank: boolean;
}

/** One registered adapter method. */
export interface AdapterMethod<C extends AdapterConfigBase = any, R extends AdapterConfigBase = any> {
  /** The documented defaults. */
  defaults: Readonly<Record<string, unknown>>;
  /** Fill defaults and check every field (errors name the field, value and what is allowed). */
  resolve(config: C): R;
  /** Create the adapter for one base layer. */
  factory(base: BaseOp, config: R, ctx: AdapterFactoryContext): AdapterLayer;
}

const methods = new Map<string, AdapterMethod>();

/** Register an adapter method under `name`. */
export function registerAdapterMethod(name: string, method: AdapterMethod): void {
  if (methods.has(name)) throw new Error(`registerAdapterMethod: "${name}" is already registered`);
  methods.set(name, method);
}

/** The method registered as `name`. */
export function adapterMethod(name: unknown): AdapterMethod {
  const m = typeof name === 'string' ? methods.get(name) : undefined;
  if (!m) throw new Error(`adapters: method=${JSON.stringify(name)} is not registered; allowed: ${[...methods.keys()].join(', ')}`);
  return m;
}

/** Registered method names. */
export function adapterMethodNames(): string[] {
  return [...methods.keys()];
}

/** Refuse a rank ≤ 0 or above the layer's size. */
export function checkRankFits(method: string, r: number, base: BaseOp, ctx: AdapterFactoryContext, limit: number): void {
  if (!Number.isInteger(r) || r <= 0) throw new Error(`${method}: r=${r} at "${ctx.path}" must be a positive integer`);
  if (r > limit) {
    throw new Error(`${method}: r=${r} at "${ctx.path}" exceeds the layer's size (${base.inFeatures}→${base.outFeatures}); allowed 1..${limit}`);
  }
}

registerAdapterMethod('lora', loraMethod);
registerAdapterMethod('loha', lohaMethod);
registerAdapterMethod('lokr', lokrMethod);
registerAdapterMethod('ia3', ia3Method);
registerAdapterMethod('taps', tapsMethod);
registerAdapterMethod('residual', residualMethod);
registerAdapterMethod('ether', etherMethod);
registerAdapterMethod('mos', mosMethod);
registerAdapterMethod('moka', mokaMethod);
registerAdapterMethod('hyper', hyperMethod);
