// MoKA's real-scale count: per Linear K Kronecker pairs A_k (in_m × out_l), B_k (in_n × out_k) by
// LoKr's factorisation, and the gate (in × K).
import { linearSizes, lokrFactorization, type AdapterCount } from '@weft/core';
import type { ResolvedOptions } from '../config.js';
import { MOKA_DEFAULTS, checkMokaOptions, type MokaConfig } from './config.js';

/** MoKA's count (options as in its Weft config). */
export const MOKA_COUNT: AdapterCount<ResolvedOptions<MokaConfig>> = {
  options: MOKA_DEFAULTS,
  plan(options) {
    const c = checkMokaOptions(options, 'MoKA config');
    const K = c.experts;
    return {
      name: `MoKA K=${K}`,
      params(module, path) {
        const m = linearSizes('moka', module, path);
        const [inM, inN] = lokrFactorization(m.in, c.decomposeFactor);
        const [outL, outK] = lokrFactorization(m.out, c.decomposeFactor);
        return K * (inM * outL + inN * outK + m.in);
      },
    };
  },
};
