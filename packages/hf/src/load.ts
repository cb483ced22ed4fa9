// Loading a transformers checkpoint (config.json + model.safetensors, or the index and its shards)
// into a Weft Module, and saving one back in the layout transformers reads. Before any tensor data is
// decoded, the headers are read, the memory is estimated and a model that will not fit (or a tensor
// beyond WebGPU's buffer limit) is refused with the figures; every name and shape is checked against
// the config, so a checkpoint that does not match it is refused naming the file and the tensor, and
// nothing is assigned.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, checkKnownKeys, configKeys, describeValue, estimateMemory, parseConfigJson, parseSafetensors, saveSafetensors, tensorsFromEntries, type Module, type SafetensorsEntry } from '@weft/core';
import { BertModel } from './bert.js';
import { readHfConfig, type ModelSpec } from './config.js';
import { HfCausalLM } from './decoder.js';
import { HfFileError, readBytes, readSafetensorsHeader, readText, type HeaderEntry, type HfFiles } from './files.js';
import { Gpt2LM } from './gpt2.js';
import { weightSlots, type NamingRules, type WeightForm, type WeightSlot } from './weights.js';

/** A Weft model built from a transformers config. */
export type HfModel = HfCausalLM | Gpt2LM | BertModel;

/** The float dtypes a checkpoint is saved in. */
export type HfFloatDtype = 'F32' | 'F16' | 'BF16';

/** A Weft model with its transformers config. */
export interface TransformersModel {
  /** The Weft module (children under transformers' names). */
  model: HfModel;
  /** What Weft built it from. */
  spec: ModelSpec;
  /** The config.json object. */
  config: Record<string, unknown>;
  /** config.json fields that do not change the computation (see NOT_COMPUTED for why). */
  notComputed: string[];
  /** The dtype its weights were stored in (saving writes it again, so a round trip is exact). */
  dtype: HfFloatDtype;
}

/** Memory figures of a checkpoint, from its safetensors headers. */
export interface CheckpointMemory {
  /** Parameters in the files. */
  parameters: number;
  /** Bytes of the files. */
  fileBytes: number;
  /** Bytes of the weights once loaded (float32). */
  weightBytes: number;
  /** Peak while loading: the files, their decoded float32 values, the tensors and the model's variables. */
  peakBytes: number;
  /** The largest tensor in float32 bytes (one GPU buffer). */
  largestTensorBytes: number;
  /**
   * The real-scale calculator's figures from config.json alone (core's estimateMemory, float32):
   * inference with a KV cache of `context` tokens, and LoRA fine-tuning (r = 8 on its default
   * targets, Adam, one sequence of `context` tokens); null when the calculator does not read this config.
   */
  calculator: { context: number; inferenceBytes: number; loraBytes: number } | null;
}

/** The calculator's inference and LoRA figures for a config.json (null when it does not read it). */
function calculatorMemory(configText: string, maxPositions: number): CheckpointMemory['calculator'] {
  const context = Math.min(maxPositions, 2048);
  try {
    const config = parseConfigJson(configText);
    const inference = estimateMemory(config, { mode: 'inference', precision: 'fp32', context, batch: 1 });
    const lora = estimateMemory(config, { mode: 'lora', precision: 'fp32', context, batch: 1 });
    return { context, inferenceBytes: inference.total, loraBytes: lora.total };
  } catch {
    return null;
  }
}

/** What {@link loadTransformers} returns. */
export interface LoadedTransformers extends TransformersModel {
  /** The memory figures checked before loading. */
  memory: CheckpointMemory;
  /** Tensors in the files that the model does not use, with the reason (a tied lm_head, GPT-2's attention-mask buffers, BERT's pre-training heads). */
  ignoredTensors: string[];
}

/** Options of {@link loadTransformers}. */
export interface LoadTransformersOptions {
  /** Refuse a checkpoint whose estimated loading peak exceeds this many bytes. Default: 4 GiB (wasm32's address space). */
  memoryBudgetBytes?: number;
  /** Load tensors holding NaN or ±Inf. Default: false (refused, naming the tensor). */
  allowNonFinite?: boolean;
}

const LOAD_OPTIONS = configKeys<LoadTransformersOptions>({ memoryBudgetBytes: true, allowNonFinite: true });
const GiB = 2 ** 30;

/** Build a Weft model (randomly initialised, seeded) from a config.json (text or object). */
export function buildTransformersModel(config: string | Record<string, unknown>, seed = 0): TransformersModel {
  const { spec, notComputed, json } = readHfConfig(config);
  const rng = new Rng(seed);
  const model = spec.kind === 'gpt2' ? new Gpt2LM(spec, rng) : spec.kind === 'bert' ? new BertModel(spec, rng) : new HfCausalLM(spec, rng);
  const dtype = json['dtype'] ?? json['torch_dtype'];
  return { model, spec, config: json, notComputed, dtype: dtype === 'float16' ? 'F16' : dtype === 'bfloat16' ? 'BF16' : 'F32' };
}

/** How `spec`'s model names its tensors in a file whose names are `names` (GPT2Model / BertForPreTraining prefixes differ). */
function namingRules(spec: ModelSpec, names: Set<string>): NamingRules & { ignore: (name: string) => string | null } {
  if (spec.kind === 'gpt2') {
    const bare = !names.has('transformer.wte.weight') && names.has('wte.weight');
    return {
      rename: (p) => (bare ? p.replace(/^transformer\./, '') : p),
      conv1d: (p) => /\.h\.\d+\.(attn|mlp)\.c_(attn|proj|fc)$/.test(p),
      ignore: (n) => (/(^|\.)h\.\d+\.attn\.(masked_)?bias$/.test(n) ? "a causal-mask buffer of GPT-2's attention" : n === 'lm_head.weight' && spec.tieEmbeddings ? 'lm_head is tied to wte' : null),
    };
  }
  if (spec.kind === 'bert') {
    const prefixed = names.has('bert.embeddings.word_embeddings.weight');
    return {
      rename: (p) => (prefixed ? `bert.${p}` : p),
      ignore: (n) => (n.startsWith('cls.') ? "a pre-training head (BertModel does not use it)" : n.endsWith('embeddings.position_ids') ? 'a position-id buffer' : null),
    };
  }
  return {
    rename: (p) => (spec.modelType === 'mixtral' ? p.replace(/^(model\.layers\.\d+)\.mlp$/, '$1.block_sparse_moe') : p),
    mixtralExperts: spec.modelType === 'mixtral',
    ignore: (n) => (n === 'lm_head.weight' && spec.tieEmbeddings ? 'lm_head is tied to embed_tokens' : /rotary_emb\.inv_freq$/.test(n) ? 'a rotary buffer (recomputed from the config)' : null),
  };
}

/** The shard file of each tensor: one model.safetensors, or the index's weight_map. */
async function shardMap(files: HfFiles): Promise<{ shards: string[]; fileOf: Map<string, string> | null }> {
  const INDEX = 'model.safetensors.index.json';
  const text = await readText(files, INDEX);
  if (text === undefined) return { shards: ['model.safetensors'], fileOf: null };
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new HfFileError(INDEX, `is not valid JSON (${(e as Error).message})`);
  }
  const map = (j as { weight_map?: unknown })?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new HfFileError(INDEX, `field weight_map=${describeValue(map)} must be an object of tensor name → file`);
  const fileOf = new Map<string, string>();
  for (const [name, file] of Object.entries(map)) {
    if (typeof file !== 'string' || !Object.hasOwn(files, file) || file.includes('/') || file.includes('\\') || !file.endsWith('.safetensors')) {
      throw new HfFileError(INDEX, `weight_map["${name.slice(0, 200)}"]=${describeValue(file)} is not one of the given .safetensors files (${Object.keys(files).filter((f) => f.endsWith('.safetensors')).join(', ') || 'none'})`);
    }
    fileOf.set(name, file);
  }
  return { shards: [...new Set(fileOf.values())], fileOf };
}

/** The budget check, in words a user can act on. */
function checkMemory(m: CheckpointMemory, budget: number): void {
  const fmt = (b: number) => `${(b / GiB).toFixed(2)} GiB`;
  const inference = m.calculator ? `; running it with a ${m.calculator.context}-token KV cache takes about ${fmt(m.calculator.inferenceBytes)} and LoRA fine-tuning about ${fmt(m.calculator.loraBytes)} (core's calculator)` : '';
  if (m.peakBytes > budget || (m.calculator !== null && m.calculator.inferenceBytes > budget)) {
    throw new Error(
      `loadTransformers: the model needs about ${fmt(m.peakBytes)} while loading (${m.parameters.toLocaleString('en')} parameters: ${fmt(m.weightBytes)} as float32, ` +
        `files ${fmt(m.fileBytes)})${inference}, more than the budget of ${fmt(budget)} (options.memoryBudgetBytes)`,
    );
  }
  if (tf.getBackend() === 'webgpu') {
    const limit = (tf.backend() as unknown as { device?: { limits?: { maxStorageBufferBindingSize?: number } } }).device?.limits?.maxStorageBufferBindingSize;
    if (limit !== undefined && m.largestTensorBytes > limit) {
      throw new Error(`loadTransformers: the largest tensor is ${fmt(m.largestTensorBytes)} as float32, beyond this GPU's buffer limit of ${fmt(limit)} (maxStorageBufferBindingSize); use the wasm backend`);
    }
  }
}

/** The first form of `slot` whose names the files all hold, or an error naming what is missing. */
function formOf(slot: WeightSlot, where: Map<string, { file: string; entry: HeaderEntry }>, source: string): WeightForm {
  const forms = [slot.form, ...slot.alternatives];
  // Forms may share names (a fused tensor in two layouts): prefer one whose shapes fit too.
  const present = forms.filter((f) => f.names.every((n) => where.has(n)));
  const form = present.find((f) => f.names.every((n, i) => tf.util.arraysEqual(where.get(n)!.entry.shape, f.shapes[i]!))) ?? present[0];
  if (!form) {
    const missing = slot.form.names.filter((n) => !where.has(n));
    throw new HfFileError(source, `tensor ${missing.slice(0, 4).map((n) => `"${n}"`).join(', ')}${missing.length > 4 ? ` (and ${missing.length - 4} more)` : ''} is missing; config.json needs it`);
  }
  form.names.forEach((n, i) => {
    const { file, entry } = where.get(n)!;
    if (!tf.util.arraysEqual(entry.shape, form.shapes[i]!)) {
      throw new HfFileError(file, `tensor "${n}" has shape [${entry.shape}]; config.json implies [${form.shapes[i]}]`);
    }
    if (!['F32', 'F16', 'BF16', 'F64'].includes(entry.dtype)) throw new HfFileError(file, `tensor "${n}" has dtype ${entry.dtype}; weights must be floating point`);
  });
  return form;
}

/**
 * Load a transformers checkpoint: `config.json` and `model.safetensors` (or
 * `model.safetensors.index.json` and the shards it names) from bytes, Files or same-origin URLs.
 * Tensors may be float32, float16 or bfloat16; the model computes in float32.
 */
export async function loadTransformers(files: HfFiles, options: LoadTransformersOptions = {}): Promise<LoadedTransformers> {
  checkKnownKeys('loadTransformers: options', options, LOAD_OPTIONS);
  if (typeof files !== 'object' || files === null) throw new Error(`loadTransformers: files must be an object of file name → source, got ${describeValue(files)}`);
  const configText = await readText(files, 'config.json');
  if (configText === undefined) throw new HfFileError('config.json', 'is missing');
  const { spec } = readHfConfig(configText);

  // Headers first: names, shapes and the memory figure before any data is decoded.
  const { shards, fileOf } = await shardMap(files);
  const bytes = new Map<string, Uint8Array>();
  const where = new Map<string, { file: string; entry: HeaderEntry }>();
  let fileBytes = 0;
  for (const shard of shards) {
    const b = await readBytes(files, shard);
    bytes.set(shard, b);
    fileBytes += b.length;
    for (const [name, entry] of readSafetensorsHeader(shard, b)) {
      if (fileOf && fileOf.get(name) !== shard) {
        throw new HfFileError(shard, `holds tensor "${name.slice(0, 200)}" that model.safetensors.index.json ${fileOf.has(name) ? `places in ${fileOf.get(name)}` : 'does not list'}`);
      }
      if (where.has(name)) throw new HfFileError(shard, `tensor "${name.slice(0, 200)}" is also in ${where.get(name)!.file}`);
      where.set(name, { file: shard, entry });
    }
  }
  if (fileOf) for (const [name, file] of fileOf) if (!where.has(name)) throw new HfFileError('model.safetensors.index.json', `weight_map lists "${name.slice(0, 200)}" in ${file}, which does not hold it`);
  const parameters = [...where.values()].reduce((n, { entry }) => n + entry.size, 0);
  const largest = [...where.values()].reduce((n, { entry }) => Math.max(n, entry.size), 0);
  const memory: CheckpointMemory = {
    parameters, fileBytes, weightBytes: 4 * parameters, peakBytes: fileBytes + 3 * 4 * parameters, largestTensorBytes: 4 * largest,
    calculator: calculatorMemory(configText, spec.maxPositions),
  };
  checkMemory(memory, options.memoryBudgetBytes ?? 4 * GiB);

  const built = buildTransformersModel(configText);
  try {
    const rules = namingRules(spec, new Set(where.keys()));
    const slots = weightSlots(built.model, rules);
    const forms = slots.map((s) => formOf(s, where, fileOf ? 'model.safetensors.index.json' : 'model.safetensors'));
    const used = new Set(forms.flatMap((f) => f.names));
    const ignoredTensors: string[] = [];
    for (const [name, { file }] of where) {
      if (used.has(name)) continue;
      const why = rules.ignore(name);
      if (why === null) throw new HfFileError(file, `tensor "${name.slice(0, 200)}" has no place in a ${spec.modelType} model with this config.json`);
      ignoredTensors.push(`${name} (${why})`);
    }
    // Decode shard by shard; assign nothing until every tensor is read and checked.
    const entries = new Map<string, SafetensorsEntry>();
    for (const [shard, b] of bytes) {
      let parsed;
      try {
        parsed = parseSafetensors(b);
      } catch (e) {
        throw new HfFileError(shard, (e as Error).message);
      }
      for (const [name, entry] of parsed.tensors) {
        if (!used.has(name)) continue;
        if (!options.allowNonFinite) {
          const d = entry.data;
          for (let i = 0; i < d.length; i++) {
            if (!Number.isFinite(d[i]!)) throw new HfFileError(shard, `tensor "${name}" holds NaN or ±Inf (at element ${i}); pass allowNonFinite: true to load it anyway`);
          }
        }
        entries.set(name, entry);
      }
    }
    const values: tf.Tensor[] = [];
    try {
      slots.forEach((slot, i) => {
        const form = forms[i]!;
        const ts = tensorsFromEntries(new Map(form.names.map((n) => [n, entries.get(n)!])));
        try {
          values.push(form.toWeft(form.names.map((n) => ts[n]!)));
        } finally {
          tf.dispose(Object.values(ts));
        }
      });
      slots.forEach((slot, i) => slot.variable.assign(values[i]!));
    } finally {
      tf.dispose(values);
    }
    const dtypes = new Set([...where.values()].filter((_, i) => i >= 0).map(({ entry }) => entry.dtype));
    const dtype: HfFloatDtype = dtypes.size === 1 && dtypes.has('F16') ? 'F16' : dtypes.size === 1 && dtypes.has('BF16') ? 'BF16' : 'F32';
    return { ...built, dtype, memory, ignoredTensors };
  } catch (e) {
    built.model.dispose();
    throw e;
  }
}

/**
 * transformers' module path of a Weft module path of `m` — the `rename` for PEFT files and adapter
 * targets: Mixtral's `mlp` is `block_sparse_moe`, an MoE block's `router.gate` is `gate`, its
 * `shared.{gate,up,down}` are `shared_expert.{gate,up,down}_proj`, `sharedGate` is `shared_expert_gate`.
 */
export function transformersPath(m: TransformersModel): (path: string) => string {
  const rules = namingRules(m.spec, new Set(m.spec.kind === 'gpt2' ? ['transformer.wte.weight'] : []));
  const rename = rules.rename ?? ((p: string) => p);
  return (path) => {
    const moe = /^(.*\.mlp)\.(router\.gate|shared\.(gate|up|down)|sharedGate)$/.exec(path);
    if (!moe) return rename(path);
    const local = moe[2] === 'router.gate' ? 'gate' : moe[2] === 'sharedGate' ? 'shared_expert_gate' : `shared_expert.${moe[3]}_proj`;
    return `${rename(moe[1]!)}.${local}`;
  };
}

/** Options of {@link saveTransformers}. */
export interface SaveTransformersOptions {
  /** The dtype to store the weights in. Default: the model's (`TransformersModel.dtype`). */
  dtype?: HfFloatDtype;
}

/** config.json text and model.safetensors bytes, as transformers' save_pretrained writes them. */
export interface SavedTransformers {
  config: string;
  safetensors: Uint8Array;
}

/**
 * Save a Weft model with a transformers layout (from {@link loadTransformers} or
 * {@link buildTransformersModel}) as config.json + model.safetensors that transformers loads:
 * its names, [out, in] layouts and the chosen dtype. Adapters must be merged or unloaded first.
 */
export async function saveTransformers(m: TransformersModel, options: SaveTransformersOptions = {}): Promise<SavedTransformers> {
  checkKnownKeys('saveTransformers: options', options, ['dtype']);
  const dtype = options.dtype ?? m.dtype;
  if (!['F32', 'F16', 'BF16'].includes(dtype)) throw new Error(`saveTransformers: dtype=${describeValue(dtype)}; allowed: F32, F16, BF16`);
  const model = m.model as Module<any, any>;
  const rules = namingRules(m.spec, new Set(m.spec.kind === 'gpt2' ? ['transformer.wte.weight'] : []));
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const slot of weightSlots(model, rules)) {
      const ts = slot.toHf(slot.variable);
      slot.form.names.forEach((n, i) => (tensors[n] = ts[i]!));
    }
    const safetensors = await saveSafetensors(tensors, { metadata: { format: 'pt' }, floatDtype: dtype });
    const config = { ...m.config, dtype: dtype === 'F16' ? 'float16' : dtype === 'BF16' ? 'bfloat16' : 'float32' };
    if (Object.hasOwn(config, 'torch_dtype')) delete (config as Record<string, unknown>)['torch_dtype'];
    return { config: `${JSON.stringify(config, null, 2)}\n`, safetensors };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
