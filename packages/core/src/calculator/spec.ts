// The calculator's intermediate form: a model as a list of parameter entries (one per nn.Module that
// holds parameters), outside the layers and inside each distinct layer block, plus the slot → block map.
// Family builders (encoder.ts, decoder.ts, moe.ts) produce it; count.ts turns it into a report.

import { add, mul } from './arith.js';
import type { ParamComponent, HeadKind, ModelFamily, SupportedModelType } from './types.js';

/** A module an adapter can wrap: PEFT wraps `nn.Linear` and `nn.Embedding`. */
export type TargetableModule =
  | { kind: 'linear'; in: number; out: number }
  | { kind: 'embedding'; num: number; dim: number };

/** Parameters of one module (weight and bias together). */
export interface ParamEntry {
  /** Module path, relative to its block for block entries; `*` stands for the expert index. */
  path: string;
  /** Breakdown component. */
  component: ParamComponent;
  /** Breakdown row name. */
  row: string;
  /** Parameters of one copy. */
  params: number;
  /** Present when an adapter may wrap this module. */
  module?: TargetableModule;
  /** Routed experts: `count` copies (`experts.0` … `experts.{count-1}`), `topK` of them active per token. */
  experts?: { count: number; topK: number };
  /** A tied weight: stored elsewhere, used again here (counts in effective and active only). */
  tied?: boolean;
  /** The input token embedding (`get_input_embeddings()`). */
  inputEmbedding?: boolean;
  /** The output projection onto the vocabulary (`lm_head`), subtracted with the embedding for "non-embedding". */
  vocabHead?: boolean;
}

/** The modules of one layer block; `kind` must agree for slots that share a block. */
export interface BlockSpec {
  /** Structural kind, e.g. `'dense'` or `'moe'`. */
  kind: string;
  /** Modules of the block. */
  entries: ParamEntry[];
}

/** A whole model ready to count. */
export interface ModelSpec {
  /** Config `model_type`. */
  modelType: SupportedModelType;
  /** Architecture family. */
  family: ModelFamily;
  /** Head included in `top`. */
  head: HeadKind;
  /** Modules outside the layer stack (embeddings, final norm, pooler, heads), absolute paths. */
  top: ParamEntry[];
  /** Distinct blocks with their absolute path prefix (ending in `.`). */
  blocks: { path: string; spec: BlockSpec }[];
  /** `slots[i]` is the index into `blocks` used at slot i. */
  slots: number[];
  /** DeepSeek-V3 MTP modules: entries unique to them, and the embedding and head they reuse. */
  mtp?: { entries: ParamEntry[]; sharedCopies: number };
}

/** A `nn.Linear(inF, outF, bias)` entry. */
export function linear(
  path: string,
  component: ParamComponent,
  row: string,
  inF: number,
  outF: number,
  bias: boolean,
): ParamEntry {
  const params = add(path, mul(path, inF, outF), bias ? outF : 0);
  return { path, component, row, params, module: { kind: 'linear', in: inF, out: outF } };
}

/** A `nn.Embedding(num, dim)` entry. */
export function embedding(path: string, row: string, num: number, dim: number, inputEmbedding = false): ParamEntry {
  return {
    path,
    component: 'embeddings',
    row,
    params: mul(path, num, dim),
    module: { kind: 'embedding', num, dim },
    ...(inputEmbedding ? { inputEmbedding } : {}),
  };
}

/** A raw parameter or non-targetable module with `params` parameters (norms, biases, custom gates). */
export function raw(path: string, component: ParamComponent, row: string, params: number): ParamEntry {
  return { path, component, row, params };
}

/** A SwiGLU MLP `gate_proj`/`up_proj` (H→I) and `down_proj` (I→H) under `prefix`. */
export function swiglu(
  prefix: string,
  H: number,
  I: number,
  bias: boolean,
  row: string,
  names: [gate: string, up: string, down: string] = ['gate_proj', 'up_proj', 'down_proj'],
  component: 'ffn' | 'experts' = 'ffn',
): ParamEntry[] {
  return [
    linear(`${prefix}${names[0]}`, component, row, H, I, bias),
    linear(`${prefix}${names[1]}`, component, row, H, I, bias),
    linear(`${prefix}${names[2]}`, component, row, I, H, bias),
  ];
}
