// Test helpers for the adapter suites: PEFT's tiny fc1/fc2 model, PyTorch-layout loading, and a
// naive dense reference (plain JS loops) of PEFT's formulas.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, readdirSync } from 'node:fs';
import { Conv2d, Linear, Module, Rng, type ForwardContext } from '@weft/core';

/**
 * The repository's PEFT fixtures, test/fixtures/peft/<case>/ (made by scripts/fixtures/make_fixtures.py
 * with PEFT 0.21.0; see test/fixtures/README.md), resolved from this file so a fresh clone has them.
 */
export const FIXTURES = new URL('../../../test/fixtures/peft/', import.meta.url);

/** PEFT's fixture model: fc1 = Linear(8, 16), ReLU, fc2 = Linear(16, 4). */
export class Tiny extends Module {
  fc1: Linear;
  fc2: Linear;
  constructor(rng: Rng, dims: [number, number, number] = [8, 16, 4]) {
    super();
    this.fc1 = this.addModule('fc1', new Linear({ inFeatures: dims[0], outFeatures: dims[1] }, rng));
    this.fc2 = this.addModule('fc2', new Linear({ inFeatures: dims[1], outFeatures: dims[2] }, rng));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.fc2.forward(tf.relu(this.fc1.forward(x, ctx)), ctx);
  }
}

/** A small CNN for the adapter matrix on Conv2d: conv1 = Conv2d(2→8, 3×3, zero padding 1), ReLU, conv2 = Conv2d(8→4, 3×3, stride 2, 'same'). */
export class TinyConv extends Module {
  conv1: Conv2d;
  conv2: Conv2d;
  constructor(rng: Rng, channels: [number, number, number] = [2, 8, 4]) {
    super();
    this.conv1 = this.addModule('conv1', new Conv2d({ inChannels: channels[0], outChannels: channels[1], kernelSize: 3, padding: 1 }, rng));
    this.conv2 = this.addModule('conv2', new Conv2d({ inChannels: channels[1], outChannels: channels[2], kernelSize: 3, stride: 2, padding: 'same' }, rng));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.conv2.forward(tf.relu(this.conv1.forward(x, ctx)), ctx);
  }
}

export type Mat = number[][];

/** A fixture's case.json: PEFT's inputs and outputs on the tiny model (PyTorch layout). */
export interface PeftCase {
  base_state_dict: Record<string, Mat | number[]>;
  x: Mat;
  y_base: Mat;
  y_adapted: Mat;
  /** Absent where PEFT cannot merge the method (Poly/MHR). */
  y_merged?: Mat;
  merged_state_dict?: Record<string, Mat | number[]>;
}

/** The fixture case names (folders of test/fixtures/peft), sorted. */
export function peftCaseNames(): string[] {
  return readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

/** One fixture case: the two PEFT files as read by loadPeftAdapter, the parsed adapter_config.json and case.json. */
export function readCase(name: string): { files: { config: string; safetensors: Uint8Array }; config: Record<string, unknown>; c: PeftCase } {
  const file = (f: string) => new URL(`${name}/${f}`, FIXTURES);
  const config = readFileSync(file('adapter_config.json'), 'utf8');
  return {
    files: { config, safetensors: new Uint8Array(readFileSync(file('adapter_model.safetensors'))) },
    config: JSON.parse(config) as Record<string, unknown>,
    c: JSON.parse(readFileSync(file('case.json'), 'utf8')) as PeftCase,
  };
}

export const T = (m: Mat): Mat => m[0]!.map((_, j) => m.map((row) => row[j]!));

/** Assign a PyTorch state dict ([out, in] weights) to a Tiny. */
export function loadTorch(model: Tiny, sd: Record<string, Mat | number[]>): void {
  for (const name of ['fc1', 'fc2'] as const) {
    model[name].weight.assign(tf.tensor2d(T(sd[`${name}.weight`] as Mat)));
    model[name].bias!.assign(tf.tensor1d(sd[`${name}.bias`] as number[]));
  }
}

export async function maxDiff(a: tf.Tensor, b: Mat | number[] | tf.Tensor): Promise<number> {
  const av = await a.data();
  const bv = b instanceof tf.Tensor ? await b.data() : (b as (number | number[])[]).flat(2 as 1) as number[];
  if (av.length !== bv.length) throw new Error(`length ${av.length} vs ${bv.length}`);
  let m = 0;
  for (let i = 0; i < av.length; i++) m = Math.max(m, Math.abs(av[i]! - bv[i]!));
  return m;
}

// ---- naive dense reference in PyTorch layout ----
export const matmul = (a: Mat, b: Mat): Mat => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
export const add = (a: Mat, b: Mat): Mat => a.map((r, i) => r.map((v, j) => v + b[i]![j]!));
export const scale = (a: Mat, s: number): Mat => a.map((r) => r.map((v) => v * s));
export const kronRef = (a: Mat, b: Mat): Mat => {
  const out: Mat = [];
  for (let i = 0; i < a.length * b.length; i++) {
    out.push([]);
    for (let j = 0; j < a[0]!.length * b[0]!.length; j++) {
      out[i]!.push(a[Math.floor(i / b.length)]![Math.floor(j / b[0]!.length)]! * b[i % b.length]![j % b[0]!.length]!);
    }
  }
  return out;
};
/** y = x Wᵀ + b with W [out, in]. */
export const linearRef = (x: Mat, w: Mat, b: number[]): Mat => matmul(x, T(w)).map((r) => r.map((v, j) => v + b[j]!));
export const relu = (a: Mat): Mat => a.map((r) => r.map((v) => Math.max(0, v)));
export const randMat = (rng: Rng, rows: number, cols: number, std = 0.5): Mat =>
  Array.from({ length: rows }, () => Array.from(rng.normalArray(cols, 0, std)));
