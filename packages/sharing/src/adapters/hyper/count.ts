// The hypernetwork adapter's real-scale count: one hypernetwork shared by every adapted layer
// (which must all have one shape), plus each layer's own embedding (layerDim).
import { CalculatorError, linearSizes, type AdapterCount } from '@weft/core';
import type { ResolvedOptions } from '../config.js';
import { HYPER_DEFAULTS, checkHyperOptions, hyperNetParams, type HyperConfig } from './config.js';

/** The hypernetwork adapter's count (options as in its Weft config). */
export const HYPER_COUNT: AdapterCount<ResolvedOptions<HyperConfig>> = {
  options: HYPER_DEFAULTS,
  plan(options) {
    const c = checkHyperOptions(options, 'Hypernetwork adapter config');
    return {
      name: `Hypernetwork adapter r=${c.r}, ${c.tasks} tasks`,
      params(module, path) {
        const m = linearSizes('hyper', module, path);
        if (c.r > (c.form === 'bottleneck' ? m.out : Math.min(m.in, m.out))) throw new CalculatorError(`adapter: r=${c.r} is not allowed on ${path}: expected at most ${Math.min(m.in, m.out)}`);
        return c.layerDim;
      },
      shared(modules) {
        const shapes = new Set(modules.map((m) => (m.kind === 'linear' ? `${m.in}→${m.out}` : 'embedding')));
        if (shapes.size > 1) throw new CalculatorError(`adapter: a hypernetwork adapter's targets must have one shape; targetModules selects ${[...shapes].join(', ')}`);
        const m = modules[0]!;
        return m.kind === 'linear' ? hyperNetParams(c, m.in, m.out) : 0;
      },
    };
  },
};
