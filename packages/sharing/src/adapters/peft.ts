// PEFT interop: load `adapter_config.json` + `adapter_model.safetensors` as written by PEFT's
// save_pretrained (LoRA incl. rsLoRA/DoRA, LoHa, LoKr, IA3) onto a Weft model, and save the same
// format. Tensor names are `base_model.model.<module path>.<adapter tensor>` without the adapter
// name; PyTorch's [out, in] layout is transposed at this boundary. Files are untrusted: the JSON is
// size-limited and every option is checked (unsupported ones are named), the safetensors file goes
// through core's bounds-checked parser, every tensor name and shape is checked before anything is
// assigned, and the model is left unchanged on any error.
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, saveSafetensors, tensorsFromEntries, type Module, type Rng } from '@weft/core';
import type { AdapterLayer, PeftTensors } from './adapter-layer.js';
import type { AdapterConfigBase } from './config.js';
import { adaptedLayers, planInjection } from './inject.js';
import type { LoraConfig } from './lora/config.js';
import type { LohaConfig } from './loha/config.js';
import type { LokrConfig } from './lokr/config.js';
import type { Ia3Config } from './ia3/config.js';
import type { TargetPattern } from './tree.js';

/** The two files of a PEFT adapter. */
export interface PeftAdapterFiles {
  /** adapter_config.json: its text or the parsed object. */
  config: string | Record<string, unknown>;
  /** adapter_model.safetensors bytes. */
  safetensors: ArrayBuffer | Uint8Array;
}

/** Options of {@link loadPeftAdapter} / {@link savePeftAdapter}. */
export interface PeftOptions {
  /** Adapter name on the Weft model. Default: "default". */
  name?: string;
  /** Weft module path → PEFT module path (e.g. "layers.0" → "fc1"). Default: identity. */
  rename?: (weftPath: string) => string;
  /** Randomness for the (overwritten) initial values. Default: core's default Rng. */
  rng?: Rng;
}

const MAX_CONFIG_CHARS = 1_000_000;
const PREFIX = 'base_model.model.';
const TYPES: Record<string, { method: string; tensor: RegExp }> = {
  LORA: { method: 'lora', tensor: /\.(lora_A\.weight|lora_B\.weight|lora_magnitude_vector)$/ },
  LOHA: { method: 'loha', tensor: /\.(hada_w[12]_[ab]|hada_t[12])$/ },
  LOKR: { method: 'lokr', tensor: /\.(lokr_w[12](?:_[ab])?|lokr_t2)$/ },
  IA3: { method: 'ia3', tensor: /\.(ia3_l)$/ },
};

/** Options that only describe the file or initialisation (the weights are in the file). */
const IGNORED = new Set([
  'peft_type', 'peft_version', 'task_type', 'base_model_name_or_path', 'revision', 'inference_mode', 'auto_mapping',
  'megatron_core', 'init_lora_weights', 'init_weights', 'init_ia3_weights', 'loftq_config', 'eva_config', 'corda_config',
  'lora_ga_config', 'qalora_group_size', 'ensure_weight_tying', 'use_effective_conv2d',
]);

const isDefault = (v: unknown) =>
  v === null || v === false || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

function fail(message: string): never {
  throw new Error(`PEFT: adapter_config.json: ${message}`);
}

function num(json: Record<string, unknown>, key: string, fallback: number): number {
  const v = json[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${key}=${JSON.stringify(v)} must be a finite number`);
  return v;
}

function bool(json: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = json[key] ?? fallback;
  if (typeof v !== 'boolean') fail(`${key}=${JSON.stringify(v)} must be true or false`);
  return v;
}

function targets(json: Record<string, unknown>, key: string, required: boolean): TargetPattern | null {
  const v = json[key];
  if (v === null || v === undefined) {
    if (required) fail(`${key} is missing; Weft needs the target module names`);
    return null;
  }
  if (typeof v === 'string') {
    if (v === 'all-linear') fail(`${key}="all-linear" is not supported; list the module names`);
    return v;
  }
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  fail(`${key}=${JSON.stringify(v).slice(0, 200)} must be a string (regex) or a list of module names`);
}

function patterns(json: Record<string, unknown>, key: string): Record<string, number> {
  const v = json[key] ?? {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${key} must be an object`);
  return v as Record<string, number>;
}

/** Translate a PEFT config object to a Weft adapter config; unsupported options throw, naming the option. */
export function peftToWeftConfig(json: unknown): AdapterConfigBase {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('must be a JSON object');
  const j = json as Record<string, unknown>;
  const type = j['peft_type'];
  if (typeof type !== 'string' || !(type in TYPES)) {
    fail(`peft_type=${JSON.stringify(type)} is not supported; allowed: ${Object.keys(TYPES).join(', ')}`);
  }
  const supported: Record<string, string[]> = {
    LORA: ['r', 'lora_alpha', 'lora_dropout', 'use_rslora', 'use_dora', 'target_modules', 'exclude_modules', 'rank_pattern', 'alpha_pattern', 'bias'],
    LOHA: ['r', 'alpha', 'rank_dropout', 'module_dropout', 'target_modules', 'exclude_modules', 'rank_pattern', 'alpha_pattern'],
    LOKR: ['r', 'alpha', 'rank_dropout', 'module_dropout', 'rank_dropout_scale', 'decompose_both', 'decompose_factor', 'target_modules', 'exclude_modules', 'rank_pattern', 'alpha_pattern'],
    IA3: ['target_modules', 'feedforward_modules', 'exclude_modules'],
  };
  for (const [k, v] of Object.entries(j)) {
    if (IGNORED.has(k) || supported[type]!.includes(k)) continue;
    if (!isDefault(v)) fail(`option ${k}=${JSON.stringify(v).slice(0, 200)} is not supported by Weft`);
  }
  const base = {
    targets: targets(j, 'target_modules', true)!,
    exclude: targets(j, 'exclude_modules', false),
  };
  if (type === 'LORA') {
    if ((j['bias'] ?? 'none') !== 'none') fail(`option bias=${JSON.stringify(j['bias'])} is not supported by Weft (only "none")`);
    const c: LoraConfig = {
      method: 'lora', ...base,
      r: num(j, 'r', 8), alpha: num(j, 'lora_alpha', 8), dropout: num(j, 'lora_dropout', 0),
      rslora: bool(j, 'use_rslora', false), dora: bool(j, 'use_dora', false),
      rankPattern: patterns(j, 'rank_pattern'), alphaPattern: patterns(j, 'alpha_pattern'),
    };
    return c;
  }
  if (type === 'LOHA') {
    const c: LohaConfig = {
      method: 'loha', ...base,
      r: num(j, 'r', 8), alpha: num(j, 'alpha', 8), rankDropout: num(j, 'rank_dropout', 0), moduleDropout: num(j, 'module_dropout', 0),
      rankPattern: patterns(j, 'rank_pattern'), alphaPattern: patterns(j, 'alpha_pattern'),
    };
    return c;
  }
  if (type === 'LOKR') {
    const c: LokrConfig = {
      method: 'lokr', ...base,
      r: num(j, 'r', 8), alpha: num(j, 'alpha', 8), rankDropout: num(j, 'rank_dropout', 0), moduleDropout: num(j, 'module_dropout', 0),
      rankDropoutScale: bool(j, 'rank_dropout_scale', false), decomposeBoth: bool(j, 'decompose_both', false),
      decomposeFactor: num(j, 'decompose_factor', -1),
      rankPattern: patterns(j, 'rank_pattern'), alphaPattern: patterns(j, 'alpha_pattern'),
    };
    return c;
  }
  const c: Ia3Config = { method: 'ia3', ...base, feedforward: targets(j, 'feedforward_modules', false) };
  if (c.feedforward && typeof c.targets !== 'string' && typeof c.feedforward !== 'string') {
    const missing = c.feedforward.filter((f) => !(c.targets as string[]).includes(f));
    if (missing.length > 0) fail(`feedforward_modules ${JSON.stringify(missing)} must be a subset of target_modules`);
  }
  return c;
}

/** Translate a Weft adapter config to PEFT's adapter_config.json object, for the adapted module paths. */
export function weftToPeftConfig(config: AdapterConfigBase, modules: string[], feedforward: string[] = []): Record<string, unknown> {
  const common = {
    auto_mapping: null, base_model_name_or_path: null, exclude_modules: null, inference_mode: true,
    layers_pattern: null, layers_to_transform: null, modules_to_save: null, peft_version: '0.21.0', revision: null,
    target_modules: modules, task_type: null,
  };
  const c = config as unknown as Record<string, unknown>;
  const pat = (k: string) => (c[k] as Record<string, number> | undefined) ?? {};
  switch (config.method) {
    case 'lora':
      return {
        ...common, peft_type: 'LORA', r: c['r'], lora_alpha: c['alpha'], lora_dropout: c['dropout'], use_rslora: c['rslora'],
        use_dora: c['dora'], bias: 'none', fan_in_fan_out: false, init_lora_weights: true, lora_bias: false,
        rank_pattern: pat('rankPattern'), alpha_pattern: pat('alphaPattern'),
      };
    case 'loha':
      return {
        ...common, peft_type: 'LOHA', r: c['r'], alpha: c['alpha'], rank_dropout: c['rankDropout'], module_dropout: c['moduleDropout'],
        init_weights: true, use_effective_conv2d: false, rank_pattern: pat('rankPattern'), alpha_pattern: pat('alphaPattern'),
      };
    case 'lokr':
      return {
        ...common, peft_type: 'LOKR', r: c['r'], alpha: c['alpha'], rank_dropout: c['rankDropout'], module_dropout: c['moduleDropout'],
        rank_dropout_scale: c['rankDropoutScale'], decompose_both: c['decomposeBoth'], decompose_factor: c['decomposeFactor'],
        init_weights: true, use_effective_conv2d: false, rank_pattern: pat('rankPattern'), alpha_pattern: pat('alphaPattern'),
      };
    case 'ia3':
      return { ...common, peft_type: 'IA3', feedforward_modules: feedforward, fan_in_fan_out: false, init_ia3_weights: true };
    default:
      throw new Error(`savePeftAdapter: method "${config.method}" has no PEFT format; PEFT I/O supports lora, loha, lokr, ia3`);
  }
}

/**
 * Load a PEFT adapter onto `model` as adapter `options.name` (activated, base frozen). Returns the
 * adapted Weft paths. On any error the model is unchanged.
 */
export function loadPeftAdapter(model: Module<any, any>, files: PeftAdapterFiles, options: PeftOptions = {}): string[] {
  let json: unknown = files.config;
  if (typeof json === 'string') {
    if (json.length > MAX_CONFIG_CHARS) fail(`is ${json.length} characters; at most ${MAX_CONFIG_CHARS} allowed`);
    try {
      json = JSON.parse(json);
    } catch (e) {
      fail(`is not valid JSON (${(e as Error).message})`);
    }
  }
  const config = peftToWeftConfig(json);
  const spec = TYPES[(json as Record<string, string>)['peft_type']!]!;
  let parsed;
  try {
    parsed = parseSafetensors(files.safetensors);
  } catch (e) {
    throw new Error(`PEFT: adapter_model.safetensors: ${(e as Error).message}`);
  }
  const rename = options.rename ?? ((p: string) => p);
  // Group tensor names by PEFT module path before allocating anything.
  const groups = new Map<string, Map<string, string>>();
  for (const key of parsed.tensors.keys()) {
    const m = spec.tensor.exec(key);
    if (!key.startsWith(PREFIX) || !m) {
      throw new Error(`PEFT: adapter_model.safetensors: tensor "${key.slice(0, 200)}" is not a ${config.method} tensor named "${PREFIX}<module>.<tensor>"`);
    }
    const module = key.slice(PREFIX.length, key.length - m[0].length);
    if (!groups.has(module)) groups.set(module, new Map());
    groups.get(module)!.set(m[1]!, key);
  }
  const plan = planInjection(model, options.name ?? 'default', config, { rename, rng: options.rng, strictRank: false });
  try {
    const planned = new Map([...plan.layers].map(([p, l]) => [rename(p), l] as [string, AdapterLayer]));
    const unused = [...groups.keys()].filter((g) => !planned.has(g));
    if (unused.length > 0) {
      throw new Error(`PEFT: adapter_model.safetensors has tensors for modules ${unused.join(', ')} that target_modules did not select on this model (selected: ${[...planned.keys()].join(', ')})`);
    }
    for (const [path, layer] of planned) {
      const names = groups.get(path);
      if (!names) throw new Error(`PEFT: adapter_model.safetensors has no tensors for module "${path}"`);
      const entries = new Map([...names].map(([local, key]) => [local, parsed.tensors.get(key)!]));
      const tensors = tensorsFromEntries(entries) as PeftTensors;
      try {
        layer.loadPeftTensors(tensors, `module "${path}"`);
      } finally {
        tf.dispose(Object.values(tensors));
      }
    }
  } catch (e) {
    plan.abort();
    throw e;
  }
  plan.commit();
  return [...plan.layers.keys()];
}

/** What {@link savePeftAdapter} returns: the two files of a PEFT adapter directory. */
export interface PeftAdapterOutput {
  /** adapter_config.json text. */
  config: string;
  /** adapter_model.safetensors bytes. */
  safetensors: Uint8Array;
}

/** Save adapter `options.name` of `model` in PEFT's format (loadable with PeftModel.from_pretrained). */
export async function savePeftAdapter(model: Module<any, any>, options: PeftOptions = {}): Promise<PeftAdapterOutput> {
  const name = options.name ?? 'default';
  const rename = options.rename ?? ((p: string) => p);
  const layers = adaptedLayers(model).filter(([, l]) => l.has(name));
  if (layers.length === 0) throw new Error(`savePeftAdapter: the model has no adapter "${name}"`);
  const first = layers[0]![1].adapter(name);
  if (!first.resolvedConfig) throw new Error(`savePeftAdapter: adapter "${name}" has no config`);
  const modules: string[] = [];
  const feedforward: string[] = [];
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const [path, l] of layers) {
      const a = l.adapter(name);
      const p = rename(path);
      modules.push(p);
      if (a.method === 'ia3' && (a as unknown as { options: { feedforward: boolean } }).options.feedforward) feedforward.push(p);
      for (const [local, t] of Object.entries(a.peftTensors())) tensors[`${PREFIX}${p}.${local}`] = t;
    }
    const config = weftToPeftConfig(first.resolvedConfig, modules, feedforward);
    const bytes = await saveSafetensors(tensors, { metadata: { format: 'pt' } });
    return { config: JSON.stringify(config, null, 2), safetensors: bytes };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
