// ETHER's real-scale count: per Linear one unit vector per output block (out), and for ETHER+ a
// second on the output side and two on the input side (2·(in + out)).
import { CalculatorError, linearSizes, type AdapterCount } from '@weft/core';
import type { ResolvedOptions } from '../config.js';
import { ETHER_DEFAULTS, checkEtherOptions, etherBlocksError, type EtherConfig } from './config.js';

/** ETHER's count (options as in its Weft config). */
export const ETHER_COUNT: AdapterCount<ResolvedOptions<EtherConfig>> = {
  options: ETHER_DEFAULTS,
  plan(options) {
    const c = checkEtherOptions(options, 'ETHER config');
    return {
      name: `${c.plus ? 'ETHER+' : 'ETHER'}${c.blocks > 1 ? ` ${c.blocks} blocks` : ''}`,
      params(module, path) {
        const m = linearSizes('ether', module, path);
        const bad = etherBlocksError(c, m.in, m.out, path);
        if (bad) throw new CalculatorError(`adapter: ${bad}`);
        return c.plus ? 2 * (m.in + m.out) : m.out;
      },
    };
  },
};
