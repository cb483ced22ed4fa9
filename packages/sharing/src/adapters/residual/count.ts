// The residual adapter's real-scale count: per Linear a full out×out map, or a bottleneck down
// (out × b) and up (b × out).
import { adapterOptionError, linearSizes, type AdapterCount } from '@weft/core';
import type { ResolvedOptions } from '../config.js';
import { RESIDUAL_DEFAULTS, checkResidualOptions, type ResidualConfig } from './config.js';

/** The residual adapter's count (options as in its Weft config). */
export const RESIDUAL_COUNT: AdapterCount<ResolvedOptions<ResidualConfig>> = {
  options: RESIDUAL_DEFAULTS,
  plan(options) {
    const { bottleneck: b } = checkResidualOptions(options, 'Residual adapter config');
    return {
      name: b === null ? 'Residual adapter (out×out)' : `Residual adapter b=${b}`,
      params(module, path) {
        const { out } = linearSizes('residual', module, path);
        if (b !== null && b > out) throw adapterOptionError('bottleneck', b, `at most out=${out} on ${path}`);
        return b === null ? out * out : 2 * out * b;
      },
    };
  },
};
