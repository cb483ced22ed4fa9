// State dicts of Weft modules: each unique variable under its first path (a shared variable is
// stored once, as safetensors requires), loaded back into every path that shares it; saved to and
// loaded from safetensors bytes. Loading checks names and shapes before it assigns anything, so a
// bad file leaves the model untouched.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys } from '../config.js';
import type { Module } from '../module.js';
import { type ParseSafetensorsOptions } from './safetensors-format.js';
import { parseSafetensors } from './safetensors-reader.js';
import { saveSafetensors, tensorsFromEntries, type SaveSafetensorsOptions } from './tensors.js';

/** The module's parameters by path: each unique variable once, under the first path that reaches it. */
export function stateDict(module: Module<any, any>): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  const seen = new Set<tf.Variable>();
  for (const [path, v] of module.namedParameters()) {
    if (seen.has(v)) continue;
    seen.add(v);
    out[path] = v;
  }
  return out;
}

/** Options of {@link loadStateDict}. */
export interface LoadStateDictOptions {
  /** Require every parameter to be present and every key to name one. Default: true. */
  strict?: boolean;
  /**
   * Accept tensors holding NaN or ±Inf. A file that does is refused by default (naming the
   * tensors), since every output of the model would be non-finite. Default: false.
   */
  allowNonFinite?: boolean;
}

/** What {@link loadStateDict} did. */
export interface LoadStateDictReport {
  /** Paths assigned. */
  loaded: string[];
  /** Parameters (first paths) the state dict did not hold (only when not strict). */
  missing: string[];
  /** Keys that name no parameter (only when not strict). */
  unexpected: string[];
}

/**
 * Assign tensors by path into the module's variables. A key may be any path of a shared variable;
 * two keys for one variable must then hold equal values. Checks everything before assigning.
 */
export async function loadStateDict(
  module: Module<any, any>,
  tensors: Record<string, tf.Tensor>,
  options: LoadStateDictOptions = {},
): Promise<LoadStateDictReport> {
  checkKnownKeys('loadStateDict', options, ['strict', 'allowNonFinite']);
  const strict = options.strict ?? true;
  const byPath = new Map(module.namedParameters());
  const firstPath = stateDict(module);
  const firstOf = new Map(Object.entries(firstPath).map(([p, v]) => [v, p]));
  const assign = new Map<tf.Variable, { path: string; value: tf.Tensor }>();
  const unexpected: string[] = [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(tensors)) {
    const v = byPath.get(key);
    if (!v) {
      unexpected.push(key);
      continue;
    }
    if (!(value instanceof tf.Tensor) || value.isDisposed) {
      problems.push(`"${key}" is not a live tf.Tensor`);
      continue;
    }
    if (!tf.util.arraysEqual(value.shape, v.shape)) {
      problems.push(`"${key}" has shape [${value.shape}], the model's parameter has [${v.shape}]`);
      continue;
    }
    if (value.dtype !== v.dtype) {
      problems.push(`"${key}" has dtype ${value.dtype}, the model's parameter has ${v.dtype}`);
      continue;
    }
    const prior = assign.get(v);
    if (prior) {
      // Values differ where they are unequal and not both NaN (a max |Δ| would be NaN, or Inf − Inf, for equal tensors).
      const diff = tf.tidy(() => {
        const [a, b] = [prior.value, value];
        return tf.sum(tf.cast(tf.logicalAnd(tf.notEqual(a, b), tf.logicalNot(tf.logicalAnd(tf.isNaN(a), tf.isNaN(b)))), 'int32'));
      });
      const d = (await diff.data())[0]!;
      diff.dispose();
      if (d !== 0) problems.push(`"${key}" and "${prior.path}" are one shared parameter but hold different values (${d} of ${value.size} differ)`);
      continue;
    }
    assign.set(v, { path: key, value });
  }
  if (!options.allowNonFinite) {
    const floats = [...assign.values()].filter((a) => a.value.dtype === 'float32');
    if (floats.length) {
      // One readback for all tensors: the count of non-finite values in each.
      const counts = tf.tidy(() => tf.stack(floats.map((a) => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(a.value)), 'float32')))));
      const n = await counts.data();
      counts.dispose();
      const bad = floats.flatMap((a, i) => (n[i]! > 0 ? [`"${a.path}" (${n[i]} of ${a.value.size} values)`] : []));
      if (bad.length) problems.push(`non-finite values (NaN or ±Inf) in ${list(bad)}; pass allowNonFinite: true to load them anyway`);
    }
  }
  const missing = Object.entries(firstPath)
    .filter(([, v]) => !assign.has(v))
    .map(([p]) => p);
  if (strict && unexpected.length) problems.push(`unexpected keys (no such parameter): ${list(unexpected)}`);
  if (strict && missing.length) problems.push(`missing parameters: ${list(missing)}`);
  if (problems.length) throw new Error(`loadStateDict: ${problems.join('; ')}. Nothing was loaded.`);
  for (const [v, { value }] of assign) v.assign(value);
  return { loaded: [...assign.values()].map((a) => firstOf.get(byPath.get(a.path)!) ?? a.path), missing, unexpected };
}

function list(items: string[]): string {
  return items.length > 8 ? `${items.slice(0, 8).join(', ')} … (${items.length} in all)` : items.join(', ');
}

/** Save the module's state dict as safetensors bytes. */
export function saveModule(module: Module<any, any>, options?: SaveSafetensorsOptions): Promise<Uint8Array> {
  return saveSafetensors(stateDict(module), options);
}

/** Load safetensors bytes (untrusted: the file is bounds-checked) into the module's parameters. */
export async function loadModule(
  module: Module<any, any>,
  bytes: ArrayBuffer | Uint8Array,
  options: LoadStateDictOptions & ParseSafetensorsOptions = {},
): Promise<LoadStateDictReport> {
  checkKnownKeys('loadModule', options, ['strict', 'allowNonFinite', 'maxHeaderBytes']);
  const { maxHeaderBytes, ...loadOptions } = options;
  const tensors = tensorsFromEntries(parseSafetensors(bytes, maxHeaderBytes === undefined ? {} : { maxHeaderBytes }).tensors);
  try {
    return await loadStateDict(module, tensors, loadOptions);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
