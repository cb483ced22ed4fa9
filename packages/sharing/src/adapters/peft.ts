// PEFT interop: load `adapter_config.json` + `adapter_model.safetensors` as written by PEFT's
// save_pretrained onto a Weft model, and save the same format, for every registered method whose
// entry has a PEFT codec (LoRA incl. rsLoRA/DoRA, LoHa, LoKr, IA3; see peft-codec.ts). Tensor names
// are `base_model.model.<module path>.<adapter tensor>` without the adapter name; PyTorch's
// [out, in] layout is transposed at this boundary (by each codec). Files are untrusted: the JSON is
// size-limited and every option is checked (unsupported ones are named), the safetensors file goes
// through core's bounds-checked parser, every tensor name, dtype, shape and value is checked before
// anything is assigned (a tensor holding NaN or ±Inf, or an adapter whose weight update overflows
// float32, is refused unless `allowNonFinite`), and the model is left unchanged on any error.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, configKeys, describeValue, parseSafetensors, saveSafetensors, tensorsFromEntries, type Module, type Rng, type SafetensorsEntry } from '@weft/core';
import type { AdapterLayer } from './adapter-layer.js';
import type { AdapterConfigBase, ResolvedConfig } from './config.js';
import { adaptedLayers, planInjection } from './inject.js';
import { PeftJson, peftConfigError, type PeftCodec, type PeftTensors } from './peft-codec.js';
import { resolvePeftTargets } from './peft-targets.js';
import { addModulesToSave, loadModuleToSave, matchModulesToSave, modulesToSaveTensors, setActiveModulesToSave } from './modules-to-save.js';
import { adapterMethod, adapterMethodNames } from './registry.js';

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

/** Options of {@link loadPeftAdapter}. */
export interface LoadPeftOptions extends PeftOptions {
  /**
   * Load tensors holding NaN or ±Infinity (or F64 values beyond float32's range), and adapters whose
   * weight update overflows float32 (a huge lora_alpha times the tensors). Default: false — such a
   * file is refused, naming the tensor or the module, since every output of the model would be NaN.
   */
  allowNonFinite?: boolean;
}

const PEFT_OPTIONS = configKeys<PeftOptions>({ name: true, rename: true, rng: true });
const LOAD_OPTIONS = configKeys<LoadPeftOptions>({ name: true, rename: true, rng: true, allowNonFinite: true });
/** The file dtypes an adapter tensor may have (all load as float32). */
const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'];
const MAX_CONFIG_CHARS = 1_000_000;
const PREFIX = 'base_model.model.';

/** Options that only describe the file or initialisation (the weights are in the file), for every method. */
const IGNORED = new Set([
  'peft_type', 'peft_version', 'task_type', 'base_model_name_or_path', 'revision', 'inference_mode', 'auto_mapping',
  'megatron_core', 'init_lora_weights', 'init_weights', 'init_ia3_weights', 'loftq_config', 'eva_config', 'corda_config',
  'lora_ga_config', 'qalora_group_size', 'ensure_weight_tying', 'use_effective_conv2d',
]);
/** Options every method reads (the adapted modules). */
const COMMON = ['target_modules', 'exclude_modules', 'modules_to_save'];

const isDefault = (v: unknown) =>
  v === null || v === false || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

/** The registered methods that have a PEFT form, with their codecs. */
function peftMethods(): Array<[string, PeftCodec]> {
  return adapterMethodNames().flatMap((n) => {
    const codec = adapterMethod(n).peft;
    return codec ? [[n, codec] as [string, PeftCodec]] : [];
  });
}

/** The PEFT codec of method `method`; the error says when the method has no PEFT form. */
function peftCodecOf(fn: string, method: string): PeftCodec {
  const codec = adapterMethodNames().includes(method) ? adapterMethod(method).peft : null;
  if (!codec) throw new Error(`${fn}: method '${method}' has no PEFT form (methods with one: ${peftMethods().map(([n]) => n).join(', ')})`);
  return codec;
}

/** The method name and PEFT codec of a checked adapter_config.json object. */
function codecOfJson(j: Record<string, unknown>): [string, PeftCodec] {
  const type = j['peft_type'];
  const found = peftMethods().find(([, c]) => c.type === type);
  if (!found) peftConfigError(`peft_type=${describeValue(type)} is not supported; allowed: ${peftMethods().map(([, c]) => c.type).join(', ')}`);
  return found;
}

/** Translate a PEFT config object to a Weft adapter config; unsupported options throw, naming the option. */
export function peftToWeftConfig(json: unknown): AdapterConfigBase {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) peftConfigError('must be a JSON object');
  const j = json as Record<string, unknown>;
  const [method, codec] = codecOfJson(j);
  for (const [k, v] of Object.entries(j)) {
    if (IGNORED.has(k) || COMMON.includes(k) || codec.options.includes(k)) continue;
    if (!isDefault(v)) peftConfigError(`option ${k}=${describeValue(v)} is not supported by Weft`);
  }
  const reader = new PeftJson(j);
  const options = Object.fromEntries(Object.entries(codec.fromPeft(reader)).filter(([, v]) => v !== undefined));
  return { method, targets: reader.targets('target_modules', true)!, exclude: reader.targets('exclude_modules', false), ...options };
}

/** Translate a resolved Weft adapter config to PEFT's adapter_config.json object, for the saved layers (PEFT module path, layer). */
export function weftToPeftConfig(config: ResolvedConfig<AdapterConfigBase>, layers: ReadonlyArray<readonly [string, AdapterLayer]>): Record<string, unknown> {
  const codec = peftCodecOf('savePeftAdapter', config.method);
  // Fields of every codec's PEFT config; the rest are the codec's (IA3's config has no layers_pattern, for one).
  return {
    auto_mapping: null, base_model_name_or_path: null, exclude_modules: null, inference_mode: true, modules_to_save: null,
    peft_version: '0.21.0', revision: null, target_modules: layers.map(([p]) => p), task_type: null, peft_type: codec.type,
    ...codec.toPeft(config, layers),
  };
}

/** How many values of `data` are NaN, ±Inf, or beyond float32's range (±Inf once stored as float32). */
function nonFiniteCount(data: SafetensorsEntry['data']): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(Math.fround(data[i]!))) n++;
  return n;
}

/** At most 8 items of a list, and how many there are. */
function list(items: string[]): string {
  return items.length > 8 ? `${items.slice(0, 8).join(', ')} … (${items.length} in all)` : items.join(', ');
}

/**
 * Load a PEFT adapter onto `model` as adapter `options.name` (activated, base frozen). Resolves to
 * the adapted Weft paths. On any error the model is unchanged. Asynchronous: the adapters' weight
 * updates are checked on the device (one readback for all layers) before the adapter is attached.
 */
export async function loadPeftAdapter(model: Module<any, any>, files: PeftAdapterFiles, options: LoadPeftOptions = {}): Promise<string[]> {
  checkKnownKeys('loadPeftAdapter: options', options, LOAD_OPTIONS);
  if (!files || typeof files !== 'object') throw new Error('loadPeftAdapter: files must be { config, safetensors }');
  checkKnownKeys('loadPeftAdapter: files', files, ['config', 'safetensors']);
  let json: unknown = files.config;
  if (typeof json === 'string') {
    if (json.length > MAX_CONFIG_CHARS) peftConfigError(`is ${json.length} characters; at most ${MAX_CONFIG_CHARS} allowed`);
    try {
      json = JSON.parse(json);
    } catch (e) {
      peftConfigError(`is not valid JSON (${(e as Error).message})`);
    }
  }
  const rename = options.rename ?? ((p: string) => p);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) peftConfigError('must be a JSON object');
  const config = peftToWeftConfig(resolvePeftTargets(model, json as Record<string, unknown>, rename));
  const codec = peftCodecOf('loadPeftAdapter', config.method);
  let parsed;
  try {
    parsed = parseSafetensors(files.safetensors);
  } catch (e) {
    throw new Error(`PEFT: adapter_model.safetensors: ${(e as Error).message}`);
  }
  // modules_to_save: module names whose full trained copies the file holds (PEFT's ModulesToSaveWrapper).
  const mtsRaw = (json as Record<string, unknown>)['modules_to_save'];
  if (mtsRaw !== undefined && mtsRaw !== null && !(Array.isArray(mtsRaw) && mtsRaw.every((x) => typeof x === 'string' && x.length > 0))) {
    peftConfigError(`modules_to_save=${describeValue(mtsRaw)} must be a list of module names`);
  }
  const mts = (mtsRaw ?? []) as string[];
  const savedModule = (key: string): string | null => {
    const path = key.slice(PREFIX.length, key.lastIndexOf('.'));
    return key.startsWith(PREFIX) && mts.some((n) => path === n || path.endsWith(`.${n}`)) ? path : null;
  };
  // Group tensor names by PEFT module path, and check each tensor's dtype and values, before allocating anything.
  const groups = new Map<string, Map<string, string>>();
  const mtsGroups = new Map<string, Map<string, string>>();
  const nonFinite: string[] = [];
  for (const [key, entry] of parsed.tensors) {
    const m = codec.tensor.exec(key);
    const saved = m ? null : savedModule(key);
    if (saved !== null) {
      if (!mtsGroups.has(saved)) mtsGroups.set(saved, new Map());
      mtsGroups.get(saved)!.set(key.slice(key.lastIndexOf('.') + 1), key);
    }
    if (saved === null && (!key.startsWith(PREFIX) || !m)) {
      throw new Error(`PEFT: adapter_model.safetensors: tensor "${key.slice(0, 200)}" is not a ${config.method} tensor named "${PREFIX}<module>.<tensor>"`);
    }
    if (!FLOAT_DTYPES.includes(entry.dtype)) {
      throw new Error(`PEFT: adapter_model.safetensors: tensor "${key.slice(0, 200)}" has dtype ${entry.dtype}; adapter weights must be floating point (${FLOAT_DTYPES.join(', ')})`);
    }
    const bad = options.allowNonFinite ? 0 : nonFiniteCount(entry.data);
    if (bad > 0) nonFinite.push(`"${key.slice(0, 200)}" (${bad} of ${entry.data.length} values)`);
    if (saved !== null) continue;
    const module = key.slice(PREFIX.length, key.length - m![0].length);
    if (!groups.has(module)) groups.set(module, new Map());
    groups.get(module)!.set(m![1]!, key);
  }
  if (nonFinite.length > 0) {
    throw new Error(`PEFT: adapter_model.safetensors: non-finite values (NaN or ±Inf, or beyond float32's range) in ${list(nonFinite)}; pass allowNonFinite: true to load them anyway`);
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
        codec.load(layer, tensors, `module "${path}"`);
      } finally {
        tf.dispose(Object.values(tensors));
      }
    }
    if (!options.allowNonFinite) {
      // Finite tensors can still overflow float32 together (a lora_alpha of 1e38 times the weights):
      // count the non-finite values of each layer's weight update, one readback for all layers.
      const layers = [...planned];
      const counts = tf.tidy(() => tf.stack(layers.map(([, l]) => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(l.deltaWeight())), 'float32')))));
      const n = await counts.data().finally(() => counts.dispose());
      const bad = layers.flatMap(([path, l], i) => (n[i]! > 0 ? [`module "${path}" (${n[i]} of ${l.base.weight.size} values)`] : []));
      if (bad.length > 0) {
        throw new Error(
          `PEFT: the weight update of ${list(bad)} overflows float32 (NaN or ±Inf) although every tensor is finite ` +
            `(the scale, such as lora_alpha / r, times the tensors is beyond float32's range); pass allowNonFinite: true to load it anyway`,
        );
      }
    }
  } catch (e) {
    plan.abort();
    throw e;
  }
  // modules_to_save: check every saved module's tensors against the model's module before changing anything.
  const name = options.name ?? 'default';
  if (mts.length > 0) {
    try {
      matchModulesToSave(model, mts, rename);
    } catch (e) {
      plan.abort();
      throw new Error(`PEFT: adapter_config.json: ${(e as Error).message}`);
    }
  }
  const byRenamed = new Map(model.namedModules().map(([p, m]) => [rename(p), m]));
  for (const [path, params] of mtsGroups) {
    const target = byRenamed.get(path);
    const own = target ? new Map(target.namedParameters()) : null;
    if (!own || own.size === 0) {
      plan.abort();
      throw new Error(`PEFT: adapter_model.safetensors has tensors for module "${path}", which is not a module of this model with parameters`);
    }
    for (const [param, key] of params) {
      const v = own.get(param);
      const e = parsed.tensors.get(key)!;
      const want = v && v.rank === 2 && param === 'weight' && target!.constructor.name === 'Linear' ? [v.shape[1]!, v.shape[0]!] : v?.shape;
      if (!v || !tf.util.arraysEqual(e.shape, want!)) {
        plan.abort();
        throw new Error(`PEFT: module "${path}" (modules_to_save): tensor "${param}" ${v ? `has shape [${e.shape}], expected [${want}]` : 'is not a parameter of the module'}`);
      }
    }
  }
  plan.commit();
  if (mts.length > 0) {
    addModulesToSave(model, name, mts, rename);
    for (const [path, params] of mtsGroups) {
      const tensors = tensorsFromEntries(new Map([...params].map(([param, key]) => [param, parsed.tensors.get(key)!])));
      try {
        loadModuleToSave(model, name, path, tensors, rename);
      } finally {
        tf.dispose(Object.values(tensors));
      }
    }
    setActiveModulesToSave(model, [name]);
  }
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
  checkKnownKeys('savePeftAdapter: options', options, PEFT_OPTIONS);
  const name = options.name ?? 'default';
  const rename = options.rename ?? ((p: string) => p);
  const layers = adaptedLayers(model).filter(([, l]) => l.has(name));
  if (layers.length === 0) throw new Error(`savePeftAdapter: the model has no adapter "${name}"`);
  const first = layers[0]![1].adapter(name);
  if (!first.resolvedConfig) throw new Error(`savePeftAdapter: adapter "${name}" has no config`);
  const codec = peftCodecOf('savePeftAdapter', first.method);
  const saved: Array<[string, AdapterLayer]> = layers.map(([path, l]) => [rename(path), l.adapter(name)]);
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const [p, a] of saved) for (const [local, t] of Object.entries(codec.save(a))) tensors[`${PREFIX}${p}.${local}`] = t;
    const mts = modulesToSaveTensors(model, name, rename);
    for (const [k, t] of Object.entries(mts.tensors)) tensors[`${PREFIX}${k}`] = t;
    const config = weftToPeftConfig(first.resolvedConfig, saved);
    if (mts.modules.length > 0) config['modules_to_save'] = mts.modules;
    const bytes = await saveSafetensors(tensors, { metadata: { format: 'pt' } });
    return { config: JSON.stringify(config, null, 2), safetensors: bytes };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
