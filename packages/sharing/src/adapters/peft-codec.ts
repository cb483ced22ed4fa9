// The PEFT form of one adapter method (the `peft` field of its registry entry): PEFT's peft_type,
// its tensor names, its adapter_config.json options to and from a Weft config, and one layer's
// tensors in PEFT's names and PyTorch layout. Also the pieces a codec uses: a reader of the
// untrusted adapter_config.json that names the bad option, and a tensor name/shape check.
import type * as tf from '@tensorflow/tfjs-core';
import { describeValue } from '@weft/core';
import type { AdapterLayer } from './adapter-layer.js';
import type { AdapterConfigBase, AdapterOptions, ResolvedConfig } from './config.js';
import type { TargetPattern } from './tree.js';

/** PEFT tensors of one adapter on one layer: names relative to the layer (e.g. "lora_A.weight"), PyTorch layout. */
export type PeftTensors = Record<string, tf.Tensor>;

/** A method's PEFT form. */
export interface PeftCodec<C extends AdapterConfigBase = any, L extends AdapterLayer = any> {
  /** PEFT's `peft_type`, e.g. "LORA". */
  type: string;
  /** Matches the end of a tensor key after its module path, e.g. /\.(lora_A\.weight|lora_B\.weight)$/; group 1 is the tensor's name in the layer. */
  tensor: RegExp;
  /** The adapter_config.json options it reads besides target_modules and exclude_modules; any other option must have its default (empty) value. */
  options: readonly string[];
  /** The method's options from a checked adapter_config.json; an option the file leaves out is left out (Weft's default, which is PEFT's, applies). */
  fromPeft(json: PeftJson): AdapterOptions<C>;
  /** The method's adapter_config.json fields for `config`, saved on `layers` (PEFT module path, layer). */
  toPeft(config: ResolvedConfig<C>, layers: ReadonlyArray<readonly [string, L]>): Record<string, unknown>;
  /** One layer's tensors in PEFT's names and PyTorch layout (the caller disposes them). */
  save(layer: L): PeftTensors;
  /** Assign one layer's parameters from PEFT tensors; checks every name and shape first. */
  load(layer: L, tensors: PeftTensors, where: string): void;
}

/** Throw the error of a bad adapter_config.json. */
export function peftConfigError(message: string): never {
  throw new Error(`PEFT: adapter_config.json: ${message}`);
}

/** The largest finite float32: a weight or scale beyond it is ±Infinity in float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** Throw unless `v` is a finite number that float32 can hold; `name` names it in the message. */
function checkFloat32(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) peftConfigError(`${name}=${describeValue(v)} must be a finite number`);
  if (Math.abs(v) > FLOAT32_MAX) peftConfigError(`${name}=${v} is beyond float32's range (|x| ≤ ${FLOAT32_MAX}), in which Weft computes the adapter's scale and weights`);
  return v;
}

/** Reads the options of an untrusted adapter_config.json; every error names the option. */
export class PeftJson {
  constructor(readonly json: Readonly<Record<string, unknown>>) {}

  /** Option `key` as the file gives it, or undefined when the file has no own key `key` (a name such as "constructor" is never inherited). */
  raw(key: string): unknown {
    return Object.hasOwn(this.json, key) ? this.json[key] : undefined;
  }

  /** A finite number float32 can hold (|x| ≤ {@link FLOAT32_MAX}), or undefined when absent or null. */
  num(key: string): number | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    return checkFloat32(key, v);
  }

  /** A boolean, or undefined when absent or null. */
  bool(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') peftConfigError(`${key}=${describeValue(v)} must be true or false`);
    return v;
  }

  /** Module names or a regex (PEFT's target rule); null when absent unless `required`. */
  targets(key: string, required: boolean): TargetPattern | null {
    const v = this.raw(key);
    if (v === null || v === undefined) {
      if (required) peftConfigError(`${key} is missing; Weft needs the target module names`);
      return null;
    }
    if (typeof v === 'string') {
      if (v === 'all-linear') peftConfigError(`${key}="all-linear" is not supported; list the module names`);
      return v;
    }
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
    peftConfigError(`${key}=${describeValue(v)} must be a string (regex) or a list of module names`);
  }

  /**
   * A {pattern: number} map (rank_pattern / alpha_pattern) whose values float32 can hold, or
   * undefined when absent or null (the method's own check reads the patterns and the values' kind).
   */
  patterns(key: string): Record<string, number> | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) peftConfigError(`${key}=${describeValue(v)} must be an object {pattern: number}`);
    for (const [k, x] of Object.entries(v)) checkFloat32(`${key}[${JSON.stringify(k.slice(0, 60))}]`, x);
    return v as Record<string, number>;
  }
}

/** Check a PEFT tensor exists with the expected shape. */
export function peftTensor(tensors: PeftTensors, name: string, shape: number[], where: string): tf.Tensor {
  const t = Object.prototype.hasOwnProperty.call(tensors, name) ? tensors[name] : undefined;
  if (!t) throw new Error(`PEFT: ${where}: tensor "${name}" is missing (has: ${Object.keys(tensors).join(', ') || 'none'})`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`PEFT: ${where}: tensor "${name}" has shape [${t.shape}], expected [${shape}] for this layer`);
  }
  return t;
}

/** Refuse tensors other than `expected` (names in the layer); `hint` says why they cannot be there. */
export function checkNoExtraTensors(tensors: PeftTensors, expected: readonly string[], where: string, hint: string): void {
  const extra = Object.keys(tensors).filter((k) => !expected.includes(k));
  if (extra.length > 0) throw new Error(`PEFT: ${where}: unexpected tensors ${extra.join(', ')} ${hint}`);
}
