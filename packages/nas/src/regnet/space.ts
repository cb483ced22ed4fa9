// Designing Network Design Spaces (RegNet), arXiv 2003.13678, §3.1–3.3: the design spaces as
// samplers — AnyNetX_A (every stage's depth, width, bottleneck and group width free) and RegNet
// (d, w0, wa, wm, b, g, widths by the quantized linear rule) — at toy scale for 8×8 images (at most
// 3 stages, widths ≤ 64), and the paper's way to compare them: sample n models from a
// complexity range, train each, and compare their error EDFs.
import { describeValue, resolveConfig, type Rng } from '@weft/core';
import { checkInt, checkNumber } from '@weft/core/internal';
import { compatibleWidth, regnetStages, type RegNetParams, type StageSpec } from './design.js';
import { anynetParamCount, type AnyNetConfig } from './network.js';

/** The design spaces {@link sampleDesign} draws from. */
export const DESIGN_SPACES = ['anynet', 'regnet'] as const;
/** One of {@link DESIGN_SPACES}. */
export type DesignSpaceName = (typeof DESIGN_SPACES)[number];

/** Ranges of the toy design spaces (the paper's, scaled to 8×8 images and widths ≤ 64). */
export interface DesignSpaceRanges {
  /** AnyNet: stages. Default: 3 (8 → 4 → 2 → 1). */
  stages: number;
  /** AnyNet: blocks per stage, drawn from 1..maxStageDepth. Default: 3. */
  maxStageDepth: number;
  /** AnyNet: stage widths, multiples of 8 up to this. Default: 48. */
  maxWidth: number;
  /** Both: bottleneck ratios b. Default: [1, 2, 4]. */
  bottlenecks: number[];
  /** Both: group widths g. Default: [1, 2, 4, 8]. */
  groupWidths: number[];
  /** RegNet: depth d drawn from 1..maxDepth. Default: 9 (AnyNet's most: 3 stages × 3). */
  maxDepth: number;
  /** RegNet: w0 drawn from the multiples of 8 up to this. Default: 24. */
  maxW0: number;
  /** RegNet: wa drawn uniformly from [0, maxWa). Default: 24. */
  maxWa: number;
  /** RegNet: wm drawn log-uniformly from [minWm, maxWm]. Default: 1.5 and 3 (the paper's). */
  minWm: number;
  maxWm: number;
  /** Both: keep only models whose stored parameters lie in [minParams, maxParams] (the paper samples in a flop range). Default: 1000 and 8000. */
  minParams: number;
  maxParams: number;
}

/** Defaults of {@link DesignSpaceRanges}. */
export const DESIGN_SPACE_DEFAULTS: DesignSpaceRanges = {
  stages: 3,
  maxStageDepth: 3,
  maxWidth: 48,
  bottlenecks: [1, 2, 4],
  groupWidths: [1, 2, 4, 8],
  maxDepth: 9,
  maxW0: 24,
  maxWa: 24,
  minWm: 1.5,
  maxWm: 3,
  minParams: 1000,
  maxParams: 8000,
};

/** A sampled model: its network config, and the RegNet parameters it came from (RegNet space). */
export interface DesignSample {
  space: DesignSpaceName;
  config: AnyNetConfig;
  regnet: RegNetParams | null;
  /** Stored parameters. */
  params: number;
}

/** The ranges with defaults filled in, checked. */
export function resolveDesignSpace(ranges?: Partial<DesignSpaceRanges>): DesignSpaceRanges {
  const r = resolveConfig('designSpace', DESIGN_SPACE_DEFAULTS, ranges);
  const L = 'designSpace';
  checkInt(L, 'stages', r.stages, 1, 6);
  checkInt(L, 'maxStageDepth', r.maxStageDepth, 1, 16);
  checkInt(L, 'maxWidth', r.maxWidth, 8, 1024);
  checkInt(L, 'maxDepth', r.maxDepth, 1, 64);
  checkInt(L, 'maxW0', r.maxW0, 8, 1024);
  checkNumber(L, 'maxWa', r.maxWa, 0, 1024);
  checkNumber(L, 'minWm', r.minWm, 1.0001, 100);
  checkNumber(L, 'maxWm', r.maxWm, r.minWm, 100);
  checkNumber(L, 'minParams', r.minParams, 0);
  checkNumber(L, 'maxParams', r.maxParams, r.minParams);
  for (const k of ['bottlenecks', 'groupWidths'] as const) {
    if (r[k].length === 0 || r[k].some((v) => !(typeof v === 'number' && v > 0))) throw new Error(`${L}: ${k}=${describeValue(r[k])} must be a non-empty array of positive numbers`);
  }
  return r;
}

const pick = <T>(rng: Rng, a: readonly T[]): T => a[rng.int(a.length)]!;

/** One AnyNetX_A draw: every stage's depth, width (multiple of 8), b and g independent, then made compatible. */
function drawAnyNet(r: DesignSpaceRanges, rng: Rng): { config: AnyNetConfig; regnet: null } {
  const stages: StageSpec[] = Array.from({ length: r.stages }, () => {
    const width = 8 * (1 + rng.int(r.maxWidth / 8));
    const bottleneck = pick(rng, r.bottlenecks);
    return { depth: 1 + rng.int(r.maxStageDepth), bottleneck, ...compatibleWidth(width, bottleneck, pick(rng, r.groupWidths)) };
  });
  return { config: { stages }, regnet: null };
}

/** One RegNet draw: d, w0, wa, wm, b, g (b and g shared by every stage); null when it has more stages than the images allow. */
function drawRegNet(r: DesignSpaceRanges, rng: Rng): { config: AnyNetConfig; regnet: RegNetParams } | null {
  const regnet: RegNetParams = {
    depth: 1 + rng.int(r.maxDepth),
    w0: 8 * (1 + rng.int(r.maxW0 / 8)),
    wa: rng.uniform(0, r.maxWa),
    wm: Math.exp(rng.uniform(Math.log(r.minWm), Math.log(r.maxWm))),
    bottleneck: pick(rng, r.bottlenecks),
    groupWidth: pick(rng, r.groupWidths),
  };
  const { stages } = regnetStages(regnet);
  return stages.length > r.stages ? null : { config: { stages }, regnet };
}

/**
 * Draw `n` models of a design space whose parameter counts lie in the ranges' complexity window
 * (rejection sampling, as the paper samples within a flop regime).
 */
export function sampleDesigns(space: DesignSpaceName, n: number, rng: Rng, ranges?: Partial<DesignSpaceRanges>): DesignSample[] {
  if (!(DESIGN_SPACES as readonly string[]).includes(space)) throw new Error(`sampleDesigns: space=${describeValue(space)} must be one of ${DESIGN_SPACES.join(', ')}`);
  checkInt('sampleDesigns', 'n', n, 1, 100_000);
  const r = resolveDesignSpace(ranges);
  const out: DesignSample[] = [];
  for (let tries = 0; out.length < n; tries++) {
    if (tries > 1000 * n) throw new Error(`sampleDesigns: fewer than 1 in 1000 draws of '${space}' fall in params [${r.minParams}, ${r.maxParams}]; widen the window`);
    const d = space === 'anynet' ? drawAnyNet(r, rng) : drawRegNet(r, rng);
    if (!d) continue;
    const params = anynetParamCount(d.config);
    if (params < r.minParams || params > r.maxParams) continue;
    out.push({ space, ...d, params });
  }
  return out;
}

/** A short name of a sampled model, e.g. `d1,2 w16,32 b1 g4` (per stage). */
export function designKey(c: AnyNetConfig): string {
  const s = c.stages;
  const one = (v: number[]) => (v.every((x) => x === v[0]) ? String(v[0]) : v.join(','));
  return `d${s.map((x) => x.depth).join(',')} w${s.map((x) => x.width).join(',')} b${one(s.map((x) => x.bottleneck))} g${one(s.map((x) => x.groupWidth))}`;
}
