// Turns a config into the report: resolve and check the config and options, build the family's
// parameter spec, then sum stored (each distinct module once), effective (once per slot that uses it;
// a tied matrix once per use), active per token (k of E routed experts; a head tied to the input
// embedding counts once, as in the total) and trainable, per row.

import { CalculatorError, add, mul } from './arith.js';
import { configKeys, unknownKeyError, describeValue } from '../config.js';
import { checkIndexBudget, matchedParams, resolveAdapter, type ResolvedAdapter } from './adapters.js';
import { decoderSpec } from './decoder.js';
import { encoderSpec } from './encoder.js';
import { gpt2Spec } from './gpt2.js';
import { mambaSpec } from './mamba.js';
import { t5Spec } from './t5.js';
import type { ModelSpec, ParamEntry, TargetableModule } from './spec.js';
import { shareEntries } from './sharing-plan.js';
import {
  PARAM_PRECISIONS,
  type BreakdownRow,
  type ParamComponent,
  type CountOptions,
  type HeadKind,
  type ModelConfig,
  type ParamReport,
  type ParamPrecision,
  type SharingPlan,
} from './types.js';
import { resolveConfig, type ResolvedConfig, type ResolvedDecoder, type ResolvedEncoder } from './validate.js';
import type { ResolvedGpt2 } from './gpt2.js';
import type { ResolvedMamba } from './mamba.js';
import type { ResolvedT5 } from './t5.js';

const COMPONENT_ORDER: ParamComponent[] = ['embeddings', 'attention', 'ssm', 'ffn', 'experts', 'router', 'norms', 'head', 'adapters'];
const HEADS: HeadKind[] = ['none', 'lm', 'classifier'];
const MAX_LABELS = 1_000_000;

/** Bytes of `n` parameters at `precision` (int4 packs two per byte). */
export function bytesAt(n: number, precision: ParamPrecision): number {
  switch (precision) {
    case 'fp32':
      return mul('fp32 bytes', n, 4);
    case 'fp16':
    case 'bf16':
      return mul(`${precision} bytes`, n, 2);
    case 'int8':
      return n;
    case 'int4':
      return Math.ceil(n / 2);
  }
}

/** Sums a model spec into a report; `adapter` (if any) is attached to every module its targets match. */
export function countSpec(spec: ModelSpec, adapter: ResolvedAdapter | null): ParamReport {
  const rows = new Map<string, BreakdownRow>();
  const rowOf = (component: ParamComponent, name: string): BreakdownRow => {
    const key = `${component}\u0000${name}`;
    let r = rows.get(key);
    if (!r) {
      r = { component, name, stored: 0, effective: 0, trainable: 0, activePerToken: 0 };
      rows.set(key, r);
    }
    return r;
  };
  // uses / activeUses: adapted modules counted per use (all copies / k routed copies), for shared adapter parameters.
  const ad = { stored: 0, effective: 0, active: 0, modules: 0, uses: 0, activeUses: 0 };
  const adapted: TargetableModule[] = [];
  const leafNames = new Set<string>();
  let inputEmbedding = 0;
  let vocabHead = 0;
  let largestTensor = { path: '', params: 0 };

  const visit = (e: ParamEntry, path: string, uses: number): void => {
    const copies = e.experts?.count ?? 1;
    const activeCopies = e.experts?.topK ?? 1;
    if (e.inputEmbedding) inputEmbedding = add('input embedding', inputEmbedding, e.params);
    if (e.vocabHead && !e.tied) vocabHead = add('lm_head', vocabHead, e.params);
    // The weight alone (a Linear's bias is a tensor of its own); routed experts stacked [E, in, out].
    const weight = e.module?.kind === 'linear' ? mul(path, e.module.in, e.module.out) : e.params;
    const tensor = mul(path, weight, copies);
    if (!e.tied && tensor > largestTensor.params) largestTensor = { path: e.experts ? path.replace('.*.', '.') : path, params: tensor };
    const r = rowOf(e.component, e.row);
    r.stored = add(r.name, r.stored, e.tied ? 0 : mul(path, e.params, copies));
    r.effective = add(r.name, r.effective, mul(path, e.params, copies, uses));
    // A head tied to the input embedding is the same matrix the token's lookup already counted: active
    // counts it once, so a dense tied model's active equals its total (as cards quote it).
    if (!(e.tied && e.vocabHead)) r.activePerToken = add(r.name, r.activePerToken, mul(path, e.params, activeCopies, uses));
    if (!adapter || !e.module) return;
    leafNames.add(path.slice(path.lastIndexOf('.') + 1));
    const { matched, params } = matchedParams(adapter, e.module, path, copies);
    if (matched === 0) return;
    ad.modules = add('adapter modules', ad.modules, matched);
    ad.stored = add('adapter', ad.stored, params);
    ad.effective = add('adapter', ad.effective, mul('adapter', params, uses));
    // Routed experts: at most k of the matched copies run for one token (all copies share one shape).
    const activeMatched = e.experts ? Math.min(matched, activeCopies) : matched;
    const active = e.experts ? mul('adapter', params / matched, activeMatched) : params;
    ad.active = add('adapter', ad.active, mul('adapter', active, uses));
    ad.uses = add('adapter', ad.uses, mul('adapter', matched, uses));
    ad.activeUses = add('adapter', ad.activeUses, mul('adapter', activeMatched, uses));
    adapted.push(e.module);
  };

  if (adapter) {
    let expertModules = 0;
    for (const b of spec.blocks) {
      for (const e of b.spec.entries) if (e.module && e.experts) expertModules += e.experts.count;
    }
    checkIndexBudget(adapter, expertModules);
  }

  const uses = new Array<number>(spec.blocks.length).fill(0);
  for (const b of spec.slots) uses[b]!++;
  const [embeddings, rest] = [spec.top.filter((e) => e.component === 'embeddings'), spec.top.filter((e) => e.component !== 'embeddings')];
  for (const e of embeddings) visit(e, e.path, 1);
  spec.blocks.forEach((b, i) => {
    for (const e of b.spec.entries) visit(e, b.path + e.path, uses[i]!);
  });
  for (const e of rest) visit(e, e.path, 1);

  if (adapter && ad.modules === 0) {
    throw new CalculatorError(
      `adapter: targetModules matched no module of ${spec.modelType}; modules an adapter can wrap here: ${[...leafNames].join(', ')}`,
    );
  }
  const shared = adapter?.plan.shared?.(adapted) ?? 0;
  if (!Number.isSafeInteger(shared) || shared < 0) throw new CalculatorError(`adapter: ${adapter!.method} counted ${shared} shared parameters; expected a non-negative integer`);
  if (shared > 0) {
    ad.stored = add('adapter', ad.stored, shared);
    ad.effective = add('adapter', ad.effective, mul('adapter', shared, ad.uses));
    ad.active = add('adapter', ad.active, mul('adapter', shared, ad.activeUses));
  }

  const base = [...rows.values()];
  let total = 0;
  let effective = 0;
  let active = 0;
  for (const r of base) {
    total = add('total', total, r.stored);
    effective = add('effective', effective, r.effective);
    active = add('active', active, r.activePerToken);
    r.trainable = adapter ? 0 : r.stored;
  }
  if (adapter) {
    base.push({
      component: 'adapters',
      name: adapter.plan.name,
      stored: ad.stored,
      effective: ad.effective,
      trainable: ad.stored,
      activePerToken: ad.active,
    });
  }
  const sorted = COMPONENT_ORDER.flatMap((c) => base.filter((r) => r.component === c));
  let mtp: ParamReport['mtp'] = null;
  if (spec.mtp) {
    let params = 0;
    let activeMtp = 0;
    for (const e of spec.mtp.entries) {
      params = add('MTP', params, mul('MTP', e.params, e.experts?.count ?? 1));
      activeMtp = add('MTP', activeMtp, mul('MTP', e.params, e.experts?.topK ?? 1));
    }
    mtp = { params, withSharedCopies: add('MTP', params, spec.mtp.sharedCopies), activePerToken: activeMtp };
  }
  const stored = add('stored', total, ad.stored);
  const bytes = {} as Record<ParamPrecision, number>;
  for (const p of PARAM_PRECISIONS) bytes[p] = bytesAt(stored, p);
  return {
    modelType: spec.modelType,
    family: spec.family,
    head: spec.head,
    slots: spec.slots.length,
    uniqueBlocks: spec.blocks.length,
    rows: sorted,
    total,
    stored,
    effective: add('effective', effective, ad.effective),
    trainable: adapter ? ad.stored : stored,
    activePerToken: add('active', active, ad.active),
    bytes,
    adapter: adapter ? { method: adapter.method, targetedModules: ad.modules, params: ad.stored } : null,
    inputEmbedding,
    nonEmbedding: total - inputEmbedding - vocabHead,
    largestTensor,
    mtp,
  };
}

function checkOptions(options: CountOptions, cfg: ResolvedConfig): {
  head: HeadKind;
  pooler: boolean;
  numLabels: number;
  sharing: SharingPlan;
  ffnSharing: SharingPlan | null;
  expertSharing: SharingPlan | null;
} {
  if (options === null || typeof options !== 'object') {
    throw new CalculatorError(`options: expected an object, got ${describeValue(options)}`);
  }
  const allowed = configKeys<CountOptions>({ head: true, pooler: true, numLabels: true, sharing: true, ffnSharing: true, expertSharing: true, adapter: true });
  const unknown = Object.keys(options).find((k) => !allowed.includes(k as keyof CountOptions));
  if (unknown !== undefined) throw new CalculatorError(unknownKeyError('options', unknown, allowed).message);
  const head = options.head ?? (cfg.family === 'encoder' ? 'none' : 'lm');
  if (!HEADS.includes(head)) {
    throw new CalculatorError(`options: head=${describeValue(head)} is not allowed: expected one of ${HEADS.join(', ')}`);
  }
  const pooler = options.pooler ?? head !== 'lm';
  if (typeof pooler !== 'boolean') {
    throw new CalculatorError(`options: pooler=${describeValue(pooler)} is not allowed: expected true or false`);
  }
  const numLabels = options.numLabels ?? 2;
  if (typeof numLabels !== 'number' || !Number.isInteger(numLabels) || numLabels < 1 || numLabels > MAX_LABELS) {
    throw new CalculatorError(`options: numLabels=${describeValue(numLabels)} is not allowed: expected an integer in [1, ${MAX_LABELS}]`);
  }
  return { head, pooler, numLabels, sharing: options.sharing ?? 'none', ffnSharing: options.ffnSharing ?? null, expertSharing: options.expertSharing ?? null };
}

/** Counts an already resolved config (see `resolveConfig`). */
export function countResolved(cfg: ResolvedConfig, options: CountOptions = {}): ParamReport {
  const opts = checkOptions(options, cfg);
  return countSpec(buildSpec(cfg, opts), options.adapter === undefined ? null : resolveAdapter(options.adapter, cfg.modelType));
}

/** The parameter spec of a resolved config under checked options. */
function buildSpec(cfg: ResolvedConfig, opts: ReturnType<typeof checkOptions>): ModelSpec {
  let spec = familySpec(cfg, opts);
  if (opts.ffnSharing !== null) spec = shareEntries(spec, opts.ffnSharing, 'ffnSharing', (e) => e.component === 'ffn');
  if (opts.expertSharing !== null) spec = shareEntries(spec, opts.expertSharing, 'expertSharing', (e) => e.experts !== undefined);
  return spec;
}

/** The parameter spec of a family before sub-module sharing. */
function familySpec(cfg: ResolvedConfig, opts: ReturnType<typeof checkOptions>): ModelSpec {
  switch (cfg.modelType) {
    case 'bert':
    case 'albert':
      return encoderSpec(cfg as ResolvedEncoder, opts);
    case 'gpt2':
      return gpt2Spec(cfg as ResolvedGpt2, opts);
    case 't5':
    case 'switch_transformers':
      return t5Spec(cfg as ResolvedT5, opts);
    case 'mamba':
      if (opts.head === 'classifier') throw new CalculatorError('options: head="classifier" is not counted for mamba: expected none (MambaModel) or lm (MambaForCausalLM)');
      return mambaSpec(cfg as ResolvedMamba, opts);
    default:
      return decoderSpec(cfg as ResolvedDecoder, opts);
  }
}

/**
 * Every module holding stored parameters, with its path as transformers names it (layer indices expanded;
 * routed experts as one row `…experts.*.name` holding all E copies) — to compare with a checkpoint.
 */
export function parameterModules(config: ModelConfig, options: Omit<CountOptions, 'adapter'> = {}): { path: string; params: number }[] {
  const cfg = resolveConfig(config, 'config');
  const spec = buildSpec(cfg, checkOptions(options, cfg));
  const out: { path: string; params: number }[] = [];
  const push = (e: ParamEntry, path: string) => {
    if (!e.tied) out.push({ path, params: mul(path, e.params, e.experts?.count ?? 1) });
  };
  for (const e of spec.top) push(e, e.path);
  for (const b of spec.blocks) for (const e of b.spec.entries) push(e, b.path + e.path);
  return out;
}

/**
 * Exact parameter counts of a model from its config alone: a breakdown table plus total, stored,
 * effective, trainable and active-per-token counts and memory sizes. The config is checked like an
 * untrusted one; errors (`CalculatorError`) name the field, its value and what is allowed.
 *
 * @example countParams(PRESETS['Mixtral-8x7B'].config).total === 46_702_792_704
 */
export function countParams(config: ModelConfig, options: CountOptions = {}): ParamReport {
  return countResolved(resolveConfig(config, 'config'), options);
}
