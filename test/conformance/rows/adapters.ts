// Conformance rows of @weft/sharing's adapters, read from the registry: every registered method and
// its variants (the case list the adapter matrix runs, packages/sharing/test/adapter-cases.ts),
// injected into a one-Linear classifier (kept tiny for WebGPU on SwiftShader), base frozen, every
// adapter parameter perturbed away from its no-op start so that each gets a gradient. A newly
// registered method gets its rows here with no edit. The adapter matrix covers deeper models.
import * as tf from '@tensorflow/tfjs-core';
import { MLPClassifier, type Rng } from '@weft/core';
import { injectAdapter, type AdapterConfigBase } from '@weft/sharing';
import { adapterCases, perturbAdapters } from '../../../packages/sharing/test/adapter-cases.js';
import { addRegistryRows } from '../matrix.js';

const floats = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);

/** Output widths other than 3, by method: RoAd rotates output pairs, so its layer needs an even width. */
const CLASSES: Record<string, number> = { road: 4 };

/**
 * Parity tolerances other than the default 1e-4, by method: RoAd's outputs go through cos and sin of
 * its angles, which WebGPU evaluates to about 1e-4 relative (3e-4 observed on SwiftShader).
 */
const PARITY: Record<string, number> = { road: 1e-3 };

addRegistryRows(() =>
  adapterCases().map(({ label, method, config }) => ({
    name: `adapters/${label}`,
    make: (rng: Rng) => {
      const model = new MLPClassifier({ inFeatures: 4, hidden: [], numClasses: CLASSES[method] ?? 3 }, rng);
      injectAdapter(model, 'a', { ...config, targets: 'layers\\.[0-9]+' } as AdapterConfigBase, { rng: rng.fork('adapter') });
      perturbAdapters(model, rng.int(1 << 30));
      return model;
    },
    input: (rng: Rng) => ({ x: floats(rng, [5, 4]) }),
    ...(method in PARITY ? { parityTolerance: PARITY[method] } : {}),
  })),
);
