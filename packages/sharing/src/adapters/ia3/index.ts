// IA3 registration. Feed-forward layers follow PEFT: a list entry matches when the path ends with
// it (plain suffix, as PEFT's IA3), a string is a full-match regular expression.
import type { AdapterMethod } from '../registry.js';
import { resolveIa3Config, type Ia3Config, type ResolvedIa3Config } from './config.js';
import { Ia3Layer } from './layer.js';
import type { TargetPattern } from '../tree.js';

export * from './config.js';
export * from './layer.js';

/** Whether `path` is a feed-forward module under PEFT's IA3 rule. */
export function isFeedforward(pattern: TargetPattern | null, path: string): boolean {
  if (pattern === null) return false;
  if (typeof pattern === 'string') return new RegExp(`^(?:${pattern})$`).test(path);
  return pattern.some((p) => path.endsWith(p));
}

/** The IA3 method (registered as "ia3"). */
export const ia3Method: AdapterMethod<Ia3Config, ResolvedIa3Config> = {
  defaults: { feedforward: null, initWeights: true },
  resolve: resolveIa3Config,
  factory(base, c, ctx) {
    return new Ia3Layer(base, { feedforward: isFeedforward(c.feedforward, ctx.path), initWeights: c.initWeights }, ctx.rng);
  },
};
