// The decisions of an entangled space — depth, and each layer's width, kernel and activation — as
// values that can be listed, read from a subnet and set in one. Few-shot splitting and fair
// sampling name a decision this way.
import type { EntangledSpaceConfig, SubnetConfig } from './space.js';

/** One decision of a subnet: its depth, or one layer's width, kernel or activation. */
export type Decision = { kind: 'depth' } | { kind: 'widths' | 'kernels' | 'activations'; layer: number };

/** A choice value (a number, or an activation name). */
export type Choice = number | string;

/** Every decision of a space, depth first. */
export function decisionsOf(space: EntangledSpaceConfig): Decision[] {
  const D = space.depthChoices.at(-1)!;
  const out: Decision[] = space.depthChoices.length > 1 ? [{ kind: 'depth' }] : [];
  const layers = (kind: 'widths' | 'kernels' | 'activations') => Array.from({ length: D }, (_, layer) => ({ kind, layer }));
  if (space.widthChoices.length > 1) out.push(...layers('widths'));
  if (space.kind === 'cnn' && space.kernelChoices.length > 1) out.push(...layers('kernels'));
  if (space.activationChoices.length > 1) out.push(...layers('activations'));
  return out;
}

/** The choices a decision has in a space. */
export function choicesOf(space: EntangledSpaceConfig, d: Decision): Choice[] {
  if (d.kind === 'depth') return [...space.depthChoices];
  if (d.kind === 'widths') return [...space.widthChoices];
  if (d.kind === 'kernels') return [...space.kernelChoices];
  return [...space.activationChoices];
}

/** A decision's name, e.g. `depth`, `kernels[1]`. */
export function decisionName(d: Decision): string {
  return d.kind === 'depth' ? 'depth' : `${d.kind}[${d.layer}]`;
}

/** The value a subnet takes for a decision (a layer's activation defaults to the space's first). */
export function choiceOf(space: EntangledSpaceConfig, s: SubnetConfig, d: Decision): Choice {
  if (d.kind === 'depth') return s.depth;
  if (d.kind === 'activations') return s.activations?.[d.layer] ?? space.activationChoices[0]!;
  return s[d.kind]![d.layer]!;
}

/** A copy of a subnet with one decision set. */
export function withChoice(s: SubnetConfig, d: Decision, value: Choice): SubnetConfig {
  const out: SubnetConfig = { ...s, widths: [...s.widths] };
  if (s.kernels) out.kernels = [...s.kernels];
  if (s.activations) out.activations = [...s.activations];
  if (d.kind === 'depth') out.depth = value as number;
  else if (d.kind === 'activations') out.activations![d.layer] = value as NonNullable<SubnetConfig['activations']>[number];
  else out[d.kind]![d.layer] = value as number;
  return out;
}
