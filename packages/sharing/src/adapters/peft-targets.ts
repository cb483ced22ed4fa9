// PEFT's target options that depend on the model: `target_modules: "all-linear"` (every Linear but
// the output layer `lm_head`, PEFT's `_maybe_include_all_linear_layers`), `layers_to_transform`
// with `layers_pattern` (only modules of those layer indices, PEFT's `check_target_module_exists`),
// and `fan_in_fan_out` (the PyTorch layout of the base weight: Weft's Linear is [in, out] whatever
// the checkpoint's was, and LoRA/IA3 tensors do not depend on it, so either value loads the same).
// They are resolved on the model into an explicit list of module paths before the config is read.
import { Linear, compileBoundedRegExp, describeValue, type Module } from '@weft/core';
import { AdaptedLayer } from './adapted-layer.js';
import { peftConfigError } from './peft-codec.js';
import { targetMatcher, type TargetPattern } from './tree.js';

/** The output layer "all-linear" leaves out (transformers' output embeddings). */
const OUTPUT_LAYER = 'lm_head';

/** The model's Linear layers (not a base inside an adapter wrapper), by their renamed path. */
function linearPaths(model: Module<any, any>, rename: (p: string) => string): string[] {
  const byPath = new Map(model.namedModules());
  const out: string[] = [];
  for (const [path, m] of byPath) {
    if (path === '' || !(m instanceof Linear || (m instanceof AdaptedLayer && m.base.kind === 'linear'))) continue;
    const dot = path.lastIndexOf('.');
    if (byPath.get(dot < 0 ? '' : path.slice(0, dot)) instanceof AdaptedLayer) continue;
    out.push(rename(path));
  }
  return out;
}

/** The layer index PEFT reads from a module path: the number after `.<pattern>.` (any name when no pattern), the last such. */
function layerIndex(path: string, patterns: string[] | null): number | null {
  const sources = patterns ?? ['[^.]*'];
  for (const p of sources) {
    const re = compileBoundedRegExp('PEFT: adapter_config.json: layers_pattern', `.*\\.${p}\\.(\\d+)\\.`, (s) => `^(?:${s})`);
    const m = re.exec(path);
    if (m) return Number(m[1]);
  }
  return null;
}

/**
 * A copy of adapter_config.json whose model-dependent target options are resolved on `model`:
 * `target_modules` becomes the explicit module paths when it was "all-linear" or when
 * `layers_to_transform` selects layers; `fan_in_fan_out` (a boolean) is dropped. Other options are
 * left for the method's codec to check.
 */
export function resolvePeftTargets(model: Module<any, any>, json: Record<string, unknown>, rename: (p: string) => string): Record<string, unknown> {
  const own = (k: string) => (Object.hasOwn(json, k) ? json[k] : undefined);
  const out = { ...json };
  const fifo = own('fan_in_fan_out');
  if (fifo !== undefined && fifo !== null && typeof fifo !== 'boolean') peftConfigError(`fan_in_fan_out=${describeValue(fifo)} must be true or false`);
  delete out['fan_in_fan_out'];
  const layersRaw = own('layers_to_transform');
  const patternRaw = own('layers_pattern');
  delete out['layers_to_transform'];
  delete out['layers_pattern'];
  const target = own('target_modules');
  const allLinear = target === 'all-linear';
  const hasLayers = layersRaw !== undefined && layersRaw !== null;
  if (!allLinear && !hasLayers) {
    if (patternRaw !== undefined && patternRaw !== null && !(Array.isArray(patternRaw) && patternRaw.length === 0)) {
      peftConfigError(`layers_pattern=${describeValue(patternRaw)} is set without layers_to_transform`);
    }
    return out;
  }
  let paths = linearPaths(model, rename);
  if (allLinear) paths = paths.filter((p) => p !== OUTPUT_LAYER && !p.endsWith(`.${OUTPUT_LAYER}`));
  else if (target !== undefined && target !== null) {
    if (!(typeof target === 'string' || (Array.isArray(target) && target.every((t) => typeof t === 'string')))) {
      peftConfigError(`target_modules=${describeValue(target)} must be a string (regex) or a list of module names`);
    }
    const match = targetMatcher(target as TargetPattern, 'target_modules');
    paths = paths.filter(match);
  }
  if (hasLayers) {
    const layers = typeof layersRaw === 'number' ? [layersRaw] : layersRaw;
    if (!Array.isArray(layers) || !layers.every((i) => Number.isSafeInteger(i) && (i as number) >= 0)) {
      peftConfigError(`layers_to_transform=${describeValue(layersRaw)} must be a layer index or a list of them`);
    }
    let patterns: string[] | null = null;
    if (patternRaw !== undefined && patternRaw !== null) {
      const list = typeof patternRaw === 'string' ? [patternRaw] : patternRaw;
      if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p.length > 0)) peftConfigError(`layers_pattern=${describeValue(patternRaw)} must be a name or a list of names`);
      patterns = list.length > 0 ? (list as string[]) : null;
    }
    paths = paths.filter((p) => {
      const i = layerIndex(`${p}.`, patterns);
      return i !== null && (layers as number[]).includes(i);
    });
  }
  if (paths.length === 0) peftConfigError(`target_modules=${describeValue(target)}${hasLayers ? ` with layers_to_transform=${describeValue(layersRaw)}` : ''} selects no Linear layer of this model`);
  out['target_modules'] = paths;
  return out;
}
