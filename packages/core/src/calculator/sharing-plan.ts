// Cross-layer sharing plans as slot → block maps (ALBERT arXiv:1909.11942 groups; Universal Transformer
// arXiv:1807.03819 all-shared; MobileLLM arXiv:2402.14905 immediate block-wise repeat; Subformer
// arXiv:2101.00234 sandwich; Takase & Kiyono arXiv:2104.06022 cycle). Stored counts distinct blocks,
// effective counts slots. A shared block takes the structure of the first slot that uses it.

import { CalculatorError } from './arith.js';
import type { BlockSpec } from './spec.js';
import type { SharingPlan } from './types.js';

const PLAN_KINDS = ['none', 'all', 'groups', 'block-repeat', 'sandwich', 'cycle', 'custom'] as const;

function planInt(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CalculatorError(
      `sharing: ${name}=${JSON.stringify(value) ?? String(value)} is not allowed: expected an integer in [${min}, ${max}]`,
    );
  }
  return value;
}

/**
 * The block index used at each of `numLayers` slots under `plan`, numbered 0, 1, … in order of first use.
 * Throws a `CalculatorError` naming the field when the plan does not fit `numLayers`.
 */
export function planSlots(plan: SharingPlan, numLayers: number): number[] {
  if (plan === null || typeof plan !== 'object' || !PLAN_KINDS.includes((plan as SharingPlan).kind)) {
    const kind = plan !== null && typeof plan === 'object' ? (plan as { kind?: unknown }).kind : plan;
    throw new CalculatorError(
      `sharing: kind=${JSON.stringify(kind) ?? String(kind)} is not a sharing plan: expected one of ${PLAN_KINDS.join(', ')}`,
    );
  }
  const L = numLayers;
  const raw: number[] = [];
  switch (plan.kind) {
    case 'none':
      for (let i = 0; i < L; i++) raw.push(i);
      break;
    case 'all':
      for (let i = 0; i < L; i++) raw.push(0);
      break;
    case 'groups': {
      const g = planInt(plan.groups, 'groups', 1, L);
      if (L % g !== 0) {
        throw new CalculatorError(`sharing: groups=${g} is not allowed: expected a divisor of num_hidden_layers=${L}`);
      }
      const per = L / g;
      for (let i = 0; i < L; i++) raw.push(Math.floor(i / per));
      break;
    }
    case 'block-repeat': {
      const r = planInt(plan.repeat, 'repeat', 1, L);
      if (L % r !== 0) {
        throw new CalculatorError(`sharing: repeat=${r} is not allowed: expected a divisor of num_hidden_layers=${L}`);
      }
      for (let i = 0; i < L; i++) raw.push(Math.floor(i / r));
      break;
    }
    case 'sandwich':
      if (L < 3) {
        throw new CalculatorError(`sharing: sandwich needs num_hidden_layers ≥ 3, got num_hidden_layers=${L}`);
      }
      for (let i = 0; i < L; i++) raw.push(i === 0 ? 0 : i === L - 1 ? 2 : 1);
      break;
    case 'cycle': {
      const u = planInt(plan.unique, 'unique', 1, L);
      for (let i = 0; i < L; i++) raw.push(i % u);
      break;
    }
    case 'custom': {
      if (!Array.isArray(plan.map) || plan.map.length !== L) {
        const got = Array.isArray(plan.map) ? `length ${plan.map.length}` : typeof plan.map;
        throw new CalculatorError(`sharing: map (${got}) is not allowed: expected an array of num_hidden_layers=${L} block numbers`);
      }
      plan.map.forEach((b, i) => raw.push(planInt(b, `map[${i}]`, 0, Number.MAX_SAFE_INTEGER)));
      break;
    }
  }
  // Renumber in order of first use so block ids are 0..U-1.
  const ids = new Map<number, number>();
  return raw.map((b) => {
    let id = ids.get(b);
    if (id === undefined) {
      id = ids.size;
      ids.set(b, id);
    }
    return id;
  });
}

/**
 * Applies `plan` to per-layer block specs (`perLayer[i]` is layer i unshared; `pathOf(i)` its path).
 * Each distinct block takes the spec and path of its first slot; slots sharing a block must have the
 * same `kind` (a dense layer cannot share with an MoE layer).
 */
export function applySharingPlan(
  perLayer: BlockSpec[],
  plan: SharingPlan,
  pathOf: (layer: number) => string,
): { blocks: { path: string; spec: BlockSpec }[]; slots: number[] } {
  const slots = planSlots(plan, perLayer.length);
  const blocks: { path: string; spec: BlockSpec }[] = [];
  const firstLayer: number[] = [];
  slots.forEach((b, i) => {
    const spec = perLayer[i]!;
    if (b === blocks.length) {
      blocks.push({ path: pathOf(i), spec });
      firstLayer.push(i);
    } else if (blocks[b]!.spec.kind !== spec.kind) {
      throw new CalculatorError(
        `sharing: plan '${plan.kind}' puts layer ${firstLayer[b]} (${blocks[b]!.spec.kind}) and layer ${i} ` +
          `(${spec.kind}) in one block; only layers of the same kind can share`,
      );
    }
  });
  return { blocks, slots };
}
