// Designing Network Design Spaces (RegNet), arXiv 2003.13678, §3.3: the quantized linear rule that
// turns six numbers (d, w0, wa, wm, b, g) into per-stage widths and depths, and the group-width
// compatibility adjustment. Quantization rounds half to even, as the published RegNetX models do.
import { checkInt, checkNumber, checkPositiveInt } from '@weft/core/internal';
import { checkKnownKeys, configKeys } from '@weft/core';

/** The RegNet parameters of one network (the paper's six). */
export interface RegNetParams {
  /** Depth d: the number of blocks. */
  depth: number;
  /** Initial width w0 > 0 (a multiple of `quantum`). */
  w0: number;
  /** Slope wa ≥ 0 of the linear width rule u_j = w0 + wa·j. */
  wa: number;
  /** Width multiplier wm > 1: widths are w0·wm^s, one stage per integer s. */
  wm: number;
  /** Bottleneck ratio b: a block's inner width is w/b. */
  bottleneck: number;
  /** Group width g of the 3×3 group convolution (capped at the inner width). */
  groupWidth: number;
  /** Widths are first rounded to multiples of this. Default: 8 (the paper's q). */
  quantum?: number;
}

const REGNET_KEYS = configKeys<RegNetParams>({ depth: true, w0: true, wa: true, wm: true, bottleneck: true, groupWidth: true, quantum: true });

/** One stage of an AnyNet/RegNet: `depth` blocks of output width `width`. */
export interface StageSpec {
  /** Blocks in the stage. */
  depth: number;
  /** Output width of every block of the stage. */
  width: number;
  /** Bottleneck ratio b: the inner width is width / b. */
  bottleneck: number;
  /** Group width of the 3×3 convolution; divides the inner width. */
  groupWidth: number;
}

/** What {@link regnetStages} computes, with its intermediate values for inspection. */
export interface RegNetStages {
  /** The stages, in order (widths strictly increasing before the compatibility adjustment). */
  stages: StageSpec[];
  /** u_j = w0 + wa·j, per block. */
  continuous: number[];
  /** s_j = round(log(u_j / w0) / log(wm)), per block. */
  exponents: number[];
  /** w0·wm^{s_j} rounded to a multiple of the quantum, per block (before the group adjustment). */
  quantized: number[];
}

/** Round half to even (numpy's and Python 3's round; RegNetX-400MF's last stage, 392/16 = 24.5 → 384, depends on it). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (Math.abs(d - 0.5) > 1e-9) return Math.round(x);
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Make a stage's width compatible with its bottleneck and group width (the paper's §3.1 and
 * Appendix D: the inner width w/b must be a multiple of g, with g ≤ w/b). Returns the adjusted
 * width and group width.
 */
export function compatibleWidth(width: number, bottleneck: number, groupWidth: number): { width: number; groupWidth: number } {
  const inner = Math.max(1, Math.round(width / bottleneck));
  const g = Math.min(groupWidth, inner);
  const innerQ = Math.max(g, roundHalfEven(inner / g) * g);
  return { width: Math.round(innerQ * bottleneck), groupWidth: g };
}

/** Check a RegNet parameter set; returns it with the quantum filled in. */
export function checkRegNetParams(where: string, p: RegNetParams): Required<RegNetParams> {
  checkKnownKeys(where, p, REGNET_KEYS);
  const quantum = checkPositiveInt(where, 'quantum', p.quantum ?? 8);
  checkInt(where, 'depth', p.depth, 1, 1024);
  checkPositiveInt(where, 'w0', p.w0);
  if (p.w0 % quantum !== 0) throw new Error(`${where}: w0=${p.w0} must be a multiple of quantum=${quantum}`);
  checkNumber(where, 'wa', p.wa, 0, 1e6);
  checkNumber(where, 'wm', p.wm, 1, 1e3);
  if (!(p.wm > 1)) throw new Error(`${where}: wm=${p.wm} must be > 1`);
  checkNumber(where, 'bottleneck', p.bottleneck, 1 / 64, 64);
  checkPositiveInt(where, 'groupWidth', p.groupWidth);
  return { ...p, quantum };
}

/**
 * The paper's quantized linear parametrization: per block j < d, u_j = w0 + wa·j,
 * s_j = round(log(u_j/w0) / log(wm)), w_j = w0·wm^{s_j} rounded to a multiple of q; blocks of equal
 * w_j form a stage. Each stage's width is then made compatible with b and g.
 */
export function regnetStages(params: RegNetParams): RegNetStages {
  const p = checkRegNetParams('regnetStages', params);
  const continuous = Array.from({ length: p.depth }, (_, j) => p.w0 + p.wa * j);
  const exponents = continuous.map((u) => Math.round(Math.log(u / p.w0) / Math.log(p.wm)));
  const quantized = exponents.map((s) => roundHalfEven((p.w0 * p.wm ** s) / p.quantum) * p.quantum);
  const stages: StageSpec[] = [];
  for (const w of quantized) {
    const last = stages.at(-1);
    if (last && last.width === w) last.depth++;
    else stages.push({ depth: 1, width: w, bottleneck: p.bottleneck, groupWidth: p.groupWidth });
  }
  for (const s of stages) Object.assign(s, compatibleWidth(s.width, s.bottleneck, s.groupWidth));
  return { stages, continuous, exponents, quantized };
}
