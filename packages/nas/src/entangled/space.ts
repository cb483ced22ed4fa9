// The weight-entangled search space (Once-for-All, arXiv 1908.09791; SPOS, arXiv 1904.00420;
// TangleNAS, arXiv 2312.10440): one set of weights for the largest network; a subnet picks a
// depth, a width per layer and (conv) a kernel size per layer, and uses the leading slices of
// the weights: the first `width` units, the first `depth` layers, the centre k×k of the kernel.
// A layer may also choose its activation (relu or tanh): the candidates share the layer's whole
// weight and differ in function, not in size, so no choice can imitate another by its slices.
// Departure from OFA: no kernel transformation matrices (plain centre crop), no progressive
// shrinking schedule.

import { checkKnownKeys, configKeys, describeValue } from '@weft/core';

/** Config of an entangled space. */
export interface EntangledSpaceConfig {
  /** 'mlp' ((B, F) features, Linear layers) or 'cnn' (NHWC images, Conv2d layers). */
  kind: 'mlp' | 'cnn';
  /** Input features (mlp) or channels (cnn). Default 4 (mlp), 1 (cnn). */
  inFeatures: number;
  /** Head outputs. Default 1 (mlp), 6 (cnn). */
  numOutputs: number;
  /** Depth choices (layers used), ascending. Default [1, 2, 3]. */
  depthChoices: number[];
  /** Width choices per layer, ascending. Default [4, 8, 16] (mlp), [4, 8] (cnn). */
  widthChoices: number[];
  /** Kernel-size choices per conv layer, odd, ascending (cnn only). Default [1, 3, 5] (cnn), [] (mlp). */
  kernelChoices: number[];
  /** LayerActivation choices per layer. Default ['relu'] (no choice). */
  activationChoices: LayerActivation[];
}

/** The activations a layer can choose. */
export const ENTANGLED_ACTIVATIONS = ['relu', 'tanh'] as const;
/** One of {@link ENTANGLED_ACTIVATIONS}. */
export type LayerActivation = (typeof ENTANGLED_ACTIVATIONS)[number];

/** One subnet of an entangled space. */
export interface SubnetConfig {
  /** Layers used (one of depthChoices). */
  depth: number;
  /** Width of each layer (length = max depth; entries past `depth` are ignored). */
  widths: number[];
  /** Kernel of each conv layer (cnn; length = max depth). */
  kernels?: number[];
  /** LayerActivation of each layer (length = max depth). Default: every layer the space's first activation. */
  activations?: LayerActivation[];
}

const SPACE_KEYS = configKeys<EntangledSpaceConfig>({ kind: true, inFeatures: true, numOutputs: true, depthChoices: true, widthChoices: true, kernelChoices: true, activationChoices: true });
const SUBNET_KEYS = configKeys<SubnetConfig>({ depth: true, widths: true, kernels: true, activations: true });

/** Defaults of a kind. */
export function defaultEntangledSpace(kind: 'mlp' | 'cnn'): EntangledSpaceConfig {
  return kind === 'mlp'
    ? { kind, inFeatures: 4, numOutputs: 1, depthChoices: [1, 2, 3], widthChoices: [4, 8, 16], kernelChoices: [], activationChoices: ['relu'] }
    : { kind, inFeatures: 1, numOutputs: 6, depthChoices: [1, 2, 3], widthChoices: [4, 8], kernelChoices: [1, 3, 5], activationChoices: ['relu'] };
}

function ascendingInts(name: string, v: unknown, min: number, odd = false): void {
  if (!Array.isArray(v) || v.length === 0) throw new Error(`entangled space: ${name}=${describeValue(v)} must be a non-empty array`);
  v.forEach((x, i) => {
    if (!Number.isInteger(x) || x < min || (odd && x % 2 === 0)) throw new Error(`entangled space: ${name}[${i}]=${describeValue(x)} must be an${odd ? ' odd' : ''} integer ≥ ${min}`);
    if (i > 0 && x <= v[i - 1]) throw new Error(`entangled space: ${name}=${describeValue(v)} must be strictly ascending`);
  });
}

/** Fill defaults and validate. */
export function resolveEntangledSpace(config: Partial<EntangledSpaceConfig> = {}): EntangledSpaceConfig {
  checkKnownKeys('entangled space', config, SPACE_KEYS);
  const kind = config.kind ?? 'mlp';
  if (kind !== 'mlp' && kind !== 'cnn') throw new Error(`entangled space: kind=${describeValue(kind)}; allowed: mlp, cnn`);
  const c = { ...defaultEntangledSpace(kind), ...config, kind };
  if (!Number.isInteger(c.inFeatures) || c.inFeatures < 1) throw new Error(`entangled space: inFeatures=${c.inFeatures} must be an integer ≥ 1`);
  if (!Number.isInteger(c.numOutputs) || c.numOutputs < 1) throw new Error(`entangled space: numOutputs=${c.numOutputs} must be an integer ≥ 1`);
  ascendingInts('depthChoices', c.depthChoices, 1);
  ascendingInts('widthChoices', c.widthChoices, 1);
  if (kind === 'cnn') ascendingInts('kernelChoices', c.kernelChoices, 1, true);
  else if (c.kernelChoices.length > 0) throw new Error(`entangled space: kernelChoices=[${c.kernelChoices}] only apply to kind="cnn"`);
  const acts = c.activationChoices;
  if (!Array.isArray(acts) || acts.length === 0 || new Set(acts).size !== acts.length || acts.some((a) => !ENTANGLED_ACTIVATIONS.includes(a))) {
    throw new Error(`entangled space: activationChoices=${describeValue(acts)} must be distinct entries of ${ENTANGLED_ACTIVATIONS.join(', ')}`);
  }
  return c;
}

/** The largest subnet of a space. */
export function largestSubnet(space: EntangledSpaceConfig): SubnetConfig {
  const D = space.depthChoices.at(-1)!;
  const cfg: SubnetConfig = { depth: D, widths: new Array(D).fill(space.widthChoices.at(-1)!) };
  if (space.kind === 'cnn') cfg.kernels = new Array(D).fill(space.kernelChoices.at(-1)!);
  if (space.activationChoices.length > 1) cfg.activations = new Array(D).fill(space.activationChoices[0]!);
  return cfg;
}

/** The smallest subnet of a space: least depth, narrowest widths, smallest kernels, the first activation. */
export function smallestSubnet(space: EntangledSpaceConfig): SubnetConfig {
  const D = space.depthChoices.at(-1)!;
  const cfg: SubnetConfig = { depth: space.depthChoices[0]!, widths: new Array(D).fill(space.widthChoices[0]!) };
  if (space.kind === 'cnn') cfg.kernels = new Array(D).fill(space.kernelChoices[0]!);
  if (space.activationChoices.length > 1) cfg.activations = new Array(D).fill(space.activationChoices[0]!);
  return cfg;
}

/** Check a subnet fits the space (elastic choices in range). */
export function validateSubnet(space: EntangledSpaceConfig, s: SubnetConfig): void {
  const D = space.depthChoices.at(-1)!;
  if (typeof s !== 'object' || s === null) throw new Error(`subnet: ${describeValue(s)} must be {depth, widths, kernels?}`);
  checkKnownKeys('subnet', s, SUBNET_KEYS);
  if (!space.depthChoices.includes(s.depth)) throw new Error(`subnet: depth=${s.depth} is out of range; allowed: ${space.depthChoices.join(', ')}`);
  if (!Array.isArray(s.widths) || s.widths.length !== D) throw new Error(`subnet: widths=${describeValue(s.widths)} must list ${D} widths (one per layer of the largest net)`);
  s.widths.forEach((w, i) => {
    if (!space.widthChoices.includes(w)) throw new Error(`subnet: widths[${i}]=${w} is out of range; allowed: ${space.widthChoices.join(', ')}`);
  });
  if (space.kind === 'cnn') {
    if (!Array.isArray(s.kernels) || s.kernels.length !== D) throw new Error(`subnet: kernels=${describeValue(s.kernels)} must list ${D} kernel sizes`);
    s.kernels.forEach((k, i) => {
      if (!space.kernelChoices.includes(k)) throw new Error(`subnet: kernels[${i}]=${k} is out of range; allowed: ${space.kernelChoices.join(', ')}`);
    });
  } else if (s.kernels !== undefined && s.kernels.length > 0) throw new Error('subnet: kernels only apply to a cnn space');
  if (s.activations !== undefined) {
    if (!Array.isArray(s.activations) || s.activations.length !== D) throw new Error(`subnet: activations=${describeValue(s.activations)} must list ${D} activations`);
    s.activations.forEach((a, i) => {
      if (!space.activationChoices.includes(a)) throw new Error(`subnet: activations[${i}]=${describeValue(a)} is not a choice; allowed: ${space.activationChoices.join(', ')}`);
    });
  }
}

/** The activation a subnet uses in layer `l`. */
export function activationOf(space: EntangledSpaceConfig, s: SubnetConfig, l: number): LayerActivation {
  return s.activations?.[l] ?? space.activationChoices[0]!;
}

/** A uniformly random subnet (SPOS/OFA sampling). */
export function randomSubnet(space: EntangledSpaceConfig, rng: { int(n: number): number }): SubnetConfig {
  const D = space.depthChoices.at(-1)!;
  const pick = <T>(a: readonly T[]): T => a[rng.int(a.length)]!;
  const cfg: SubnetConfig = { depth: pick(space.depthChoices), widths: Array.from({ length: D }, () => pick(space.widthChoices)) };
  if (space.kind === 'cnn') cfg.kernels = Array.from({ length: D }, () => pick(space.kernelChoices));
  if (space.activationChoices.length > 1) cfg.activations = Array.from({ length: D }, () => pick(space.activationChoices));
  return cfg;
}
