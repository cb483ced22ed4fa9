// TAPS' real-scale count: per Linear a score plus δW, dense (in·out) or LoRA-factored (r·(in + out)).
import { linearSizes, type AdapterCount } from '@weft/core';
import { TAPS_DEFAULTS, checkTapsOptions, type TapsConfig } from './config.js';
import type { ResolvedOptions } from '../config.js';

/** TAPS' count (options as in its Weft config). */
export const TAPS_COUNT: AdapterCount<ResolvedOptions<TapsConfig>> = {
  options: TAPS_DEFAULTS,
  plan(options) {
    const { r } = checkTapsOptions(options, 'TAPS config');
    return {
      name: r === null ? 'TAPS (dense δW)' : `TAPS r=${r}`,
      params(module, path) {
        const m = linearSizes('taps', module, path);
        return 1 + (r === null ? m.in * m.out : r * (m.in + m.out));
      },
    };
  },
};
