// Safetensors ⇄ tf.Tensor: a name → tensor record (a state dict) to bytes and back. Reading
// goes through the plain-typed-array parser; writing reads each tensor with `await data()`
// (never dataSync, so it works on WebGPU without a blocking readback).
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors } from './safetensors-reader.js';
import { serializeSafetensors } from './safetensors-writer.js';
import {
  SafetensorsError,
  type ParseSafetensorsOptions,
  type SafetensorsEntry,
  type SafetensorsInput,
} from './safetensors-format.js';

/**
 * Turn parsed safetensors entries into tf tensors: floats (F16/BF16/F32/F64) → float32,
 * integers → int32, BOOL → bool. The caller owns (and disposes) the tensors.
 */
export function tensorsFromEntries(entries: Map<string, SafetensorsEntry>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  try {
    for (const [name, entry] of entries) {
      const dtype = entry.dtype === 'BOOL' ? 'bool' : entry.data instanceof Int32Array ? 'int32' : 'float32';
      const values = entry.data instanceof Float64Array ? Float32Array.from(entry.data) : entry.data;
      // defineProperty: a tensor named "__proto__" must become a key, not a prototype.
      Object.defineProperty(out, name, {
        value: tf.tensor(values, entry.shape, dtype),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  } catch (e) {
    tf.dispose(Object.values(out));
    throw e;
  }
  return out;
}

/**
 * Read a safetensors file into tf tensors by name (see {@link tensorsFromEntries} for dtypes).
 * Use {@link parseSafetensors} and {@link tensorsFromEntries} to get the metadata as well.
 */
export function loadSafetensors(
  bytes: ArrayBuffer | Uint8Array,
  options?: ParseSafetensorsOptions,
): Record<string, tf.Tensor> {
  return tensorsFromEntries(parseSafetensors(bytes, options).tensors);
}

/** Options of {@link saveSafetensors}. */
export interface SaveSafetensorsOptions {
  /** The `__metadata__` string map to store. Default: none. */
  metadata?: Record<string, string>;
  /** How float32 tensors are stored: `F32` (exact), `F16` or `BF16` (rounded). Default: `F32`. */
  floatDtype?: 'F32' | 'F16' | 'BF16';
}

/**
 * Write tf tensors by name (e.g. a state dict) to safetensors bytes: float32 → F32 (or
 * `floatDtype`), int32 → I32, bool → BOOL. A tensor listed under two names is written twice.
 * The tensors are read with `await data()` and not disposed.
 */
export async function saveSafetensors(
  tensors: Record<string, tf.Tensor> | Map<string, tf.Tensor>,
  options: SaveSafetensorsOptions = {},
): Promise<Uint8Array> {
  const floatDtype = options.floatDtype ?? 'F32';
  if (!['F32', 'F16', 'BF16'].includes(floatDtype)) {
    throw new SafetensorsError(`options.floatDtype="${String(floatDtype)}"; allowed: F32, F16, BF16`);
  }
  const list = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  for (const [name, t] of list) {
    if (!(t instanceof tf.Tensor)) {
      throw new SafetensorsError(`tensor "${name}" is not a tf.Tensor (got ${t === null ? 'null' : typeof t})`);
    }
    if (t.isDisposed) throw new SafetensorsError(`tensor "${name}" is disposed`);
    if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') {
      throw new SafetensorsError(`tensor "${name}" has tf dtype "${t.dtype}"; supported: float32, int32, bool`);
    }
  }
  const data = await Promise.all(list.map(([, t]) => t.data()));
  const entries = list.map(([name, t], i): [string, SafetensorsInput] => {
    const dtype = t.dtype === 'float32' ? floatDtype : t.dtype === 'int32' ? 'I32' : 'BOOL';
    return [name, { dtype, shape: t.shape, data: data[i] as ArrayLike<number> }];
  });
  return serializeSafetensors(entries, options.metadata);
}
