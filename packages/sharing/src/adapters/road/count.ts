// RoAd's real-scale count: θ and α per adapted Linear, out/2, out or 2·out each by variant.
import { CalculatorError, linearSizes, type AdapterCount } from '@weft/core';
import type { ResolvedOptions } from '../config.js';
import { ROAD_DEFAULTS, checkRoadOptions, roadSize, type RoadConfig } from './config.js';

/** RoAd's count (options as in its Weft config). */
export const ROAD_COUNT: AdapterCount<ResolvedOptions<RoadConfig>> = {
  options: ROAD_DEFAULTS,
  plan(options) {
    const c = checkRoadOptions(options, 'RoAd config');
    return {
      name: `RoAd ${c.variant}`,
      params(module, path) {
        const m = linearSizes('road', module, path);
        if (m.out % c.groupSize !== 0) throw new CalculatorError(`adapter: RoAd groupSize=${c.groupSize} must divide out=${m.out} of "${path}"`);
        return 2 * roadSize(c.variant, m.out);
      },
    };
  },
};
